// Connect transport for PhoneNumberService: deny/allow lists, carrier lookups and erasure, over the same verifier.
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { ConnectRouter } from "@connectrpc/connect";
import { NumberList, PhoneNumberService } from "../gen/verify/v1/phone_number_pb.ts";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ListEntrySchema } from "../gen/verify/v1/phone_number_pb.ts";
import type { ListEntry } from "../objects/number-lists.ts";
import { lookupMessage, verifierOf } from "./verification-service.ts";

const LIST_NAMES: Record<NumberList, string> = {
  [NumberList.UNSPECIFIED]: "",
  [NumberList.DENY]: "deny",
  [NumberList.ALLOW]: "allow",
};

function entryMessage(entry: ListEntry): MessageInitShape<typeof ListEntrySchema> {
  return {
    list: entry.list === "deny" ? NumberList.DENY : NumberList.ALLOW,
    phoneNumber: entry.phoneNumber,
    note: entry.note,
    reason: entry.reason ?? "",
    createTime: timestampFromMs(entry.createdAt),
  };
}

export function phoneNumberServiceRoutes(router: ConnectRouter): void {
  router.service(PhoneNumberService, {
    async addListEntry(req, ctx) {
      const entry = await verifierOf(ctx).setListed({ list: LIST_NAMES[req.list], phoneNumber: req.phoneNumber, listed: true, note: req.note });
      return { entry: entryMessage(entry!) };
    },
    async removeListEntry(req, ctx) {
      await verifierOf(ctx).setListed({ list: LIST_NAMES[req.list], phoneNumber: req.phoneNumber, listed: false });
      return {};
    },
    async listListEntries(req, ctx) {
      const result = await verifierOf(ctx).listEntries({ list: LIST_NAMES[req.list], pageSize: req.pageSize, pageToken: req.pageToken });
      return { entries: result.entries.map(entryMessage), nextPageToken: result.nextPageToken };
    },
    async erasePhoneNumber(req, ctx) {
      return verifierOf(ctx).erase(req.phoneNumber);
    },
    async lookupPhoneNumber(req, ctx) {
      const result = await verifierOf(ctx).lookup({ phoneNumber: req.phoneNumber });
      return { phoneNumber: result.phoneNumber, lookup: lookupMessage(result.lookup), cached: result.cached, fetchTime: timestampFromMs(result.fetchedAt) };
    },
  });
}

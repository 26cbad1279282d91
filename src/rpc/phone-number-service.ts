// Connect transport for PhoneNumberService: deny/allow lists, carrier lookups and erasure, over the same verifier.
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { ConnectRouter } from "@connectrpc/connect";
import { NumberList, PhoneNumberService } from "../gen/verify/v1/phone_number_pb.ts";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ListEntrySchema } from "../gen/verify/v1/phone_number_pb.ts";
import type { ListEntry } from "../objects/number-lists.ts";
import { numberListOf, validateListChange, validateListPage, type NumberList as ListName } from "../core/requests.ts";
import { lookupMessage, verifierOf } from "./verification-service.ts";

/** UNSPECIFIED (and a value this build does not know) is refused by numberListOf, as a bad path segment is. */
const LIST_NAMES: Record<NumberList, ListName | ""> = {
  [NumberList.UNSPECIFIED]: "",
  [NumberList.DENY]: "deny",
  [NumberList.ALLOW]: "allow",
};
const listOf = (list: NumberList) => numberListOf(LIST_NAMES[list]);

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
      const verifier = verifierOf(ctx);
      const entry = await verifier.setListed(validateListChange({ list: listOf(req.list), phoneNumber: req.phoneNumber, listed: true, note: req.note }));
      return { entry: entryMessage(entry!) };
    },
    async removeListEntry(req, ctx) {
      const verifier = verifierOf(ctx);
      await verifier.setListed(validateListChange({ list: listOf(req.list), phoneNumber: req.phoneNumber, listed: false }));
      return {};
    },
    async listListEntries(req, ctx) {
      const verifier = verifierOf(ctx);
      const result = await verifier.listEntries(validateListPage({ list: listOf(req.list), pageSize: req.pageSize, pageToken: req.pageToken }));
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

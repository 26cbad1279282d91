// IP address literals: one strict parser for their text forms, the key an end user's IP is counted
// under, and the ranges a webhook must not reach. Pure: no I/O. Everything that reads an IP address
// goes through parseIp, so the rate limiter and the webhook guard can never disagree about one.

/** An IP address as its bytes: 4 for IPv4, 16 for IPv6. */
export type IpAddress = { version: 4; bytes: readonly number[] } | { version: 6; bytes: readonly number[] };

// Dotted decimal, four octets, no leading zeros: "010.0.0.1" is octal to inet_aton and decimal to
// others, so a spelling that means different addresses to different parsers is refused outright.
const OCTET = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";
const IPV4 = new RegExp(`^${OCTET}\\.${OCTET}\\.${OCTET}\\.${OCTET}$`);
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;
/** The longest IPv6 text: eight 4-digit groups, or six and a dotted quad (45 characters). */
const IPV6_MAX_LENGTH = 45;

function parseIpv4(text: string): number[] | null {
  const match = IPV4.exec(text);
  return match ? match.slice(1).map(Number) : null;
}

/**
 * RFC 4291 §2.2 text: eight groups of 1-4 hex digits, at most one `::` for one or more zero groups,
 * and optionally a dotted quad for the last 32 bits. Zone ids (`%eth0`), brackets and ports are
 * not part of an address and are refused.
 */
function parseIpv6(text: string): number[] | null {
  if (text.length > IPV6_MAX_LENGTH || !text.includes(":")) return null;
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const compressed = halves.length === 2;
  const head = halves[0] === "" ? [] : halves[0]!.split(":");
  const tail = !compressed || halves[1] === "" ? [] : halves[1]!.split(":");
  // Only the address's last piece may be a dotted quad (so never the head of "1.2.3.4::").
  const lastPiece = compressed ? tail : head;
  let v4: number[] = [];
  if (lastPiece.length && lastPiece[lastPiece.length - 1]!.includes(".")) {
    const parsed = parseIpv4(lastPiece.pop()!);
    if (!parsed) return null;
    v4 = parsed;
  }
  const groups = [...head, ...tail];
  if (!groups.every((g) => HEX_GROUP.test(g))) return null;
  const groupCount = groups.length + v4.length / 2;
  if (compressed ? groupCount > 7 : groupCount !== 8) return null;
  const bytesOf = (part: string[]) => part.map((g) => parseInt(g, 16)).flatMap((n) => [n >> 8, n & 0xff]);
  const zeros = new Array<number>(2 * (8 - groupCount)).fill(0);
  return [...bytesOf(head), ...(compressed ? zeros : []), ...bytesOf(tail), ...v4];
}

/** The address `text` spells, or null when it is not exactly an IPv4 or IPv6 address. */
export function parseIp(text: string): IpAddress | null {
  const v4 = parseIpv4(text);
  if (v4) return { version: 4, bytes: v4 };
  const v6 = parseIpv6(text);
  return v6 ? { version: 6, bytes: v6 } : null;
}

const startsWithZeros = (bytes: readonly number[], count: number) => bytes.slice(0, count).every((b) => b === 0);

/**
 * The IPv4 address inside an IPv6 one that stands for it: IPv4-mapped `::ffff:a.b.c.d` (what a
 * dual-stack socket reports for an IPv4 peer) and the deprecated IPv4-compatible `::a.b.c.d`
 * (RFC 4291 §2.5.5.1). For the latter we take any ::/96 address but `::` (unspecified) and `::1`
 * (loopback), which are IPv6 addresses in their own right; `::2` is read as 0.0.0.2, which nobody
 * uses and which the webhook guard refuses either way.
 */
export function embeddedIpv4(ip: IpAddress): number[] | null {
  if (ip.version !== 6) return null;
  const b = ip.bytes;
  const v4 = b.slice(12);
  if (startsWithZeros(b, 10) && b[10] === 0xff && b[11] === 0xff) return v4;
  if (startsWithZeros(b, 12) && !(startsWithZeros(v4, 3) && v4[3]! <= 1)) return v4;
  return null;
}

/** An IPv6 address as one address is written everywhere here: IPv4 forms as IPv4, dotted. */
function unwrap(ip: IpAddress): IpAddress {
  const v4 = embeddedIpv4(ip);
  return v4 ? { version: 4, bytes: v4 } : ip;
}

/**
 * The counter key for a client IP: IPv4 (however written, mapped or compatible included) in dotted
 * form, IPv6 by its /64 in one canonical spelling (one host usually owns a whole /64, so counting
 * addresses would let it rotate through 2^64 of them). Null for anything that is not an address.
 */
export function ipScope(text: string): string | null {
  const parsed = parseIp(text);
  if (!parsed) return null;
  const ip = unwrap(parsed);
  if (ip.version === 4) return ip.bytes.join(".");
  const groups = [0, 2, 4, 6].map((i) => ((ip.bytes[i]! << 8) | ip.bytes[i + 1]!).toString(16));
  return `${groups.join(":")}::/64`;
}

type Range = readonly [prefix: readonly number[], bits: number, name: string];

// Addresses a server-side request must not reach: a webhook URL pointing at them would make this
// Worker call into the network it runs in, or at a cloud metadata service (169.254.169.254,
// fd00:ec2::254, 100.100.100.200 all fall in the ranges below). Multicast and reserved space are
// never a public HTTPS server, so they are refused too.
const IPV4_INTERNAL: readonly Range[] = [
  [[0], 8, "unspecified"],
  [[10], 8, "private"],
  [[100, 64], 10, "shared (carrier-grade NAT)"],
  [[127], 8, "loopback"],
  [[169, 254], 16, "link-local"],
  [[172, 16], 12, "private"],
  [[192, 168], 16, "private"],
  [[224], 4, "multicast"],
  [[240], 4, "reserved"],
];
const IPV6_INTERNAL: readonly Range[] = [
  [[], 128, "unspecified"],
  [[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 128, "loopback"],
  [[0xfc], 7, "unique-local"],
  [[0xfe, 0x80], 10, "link-local"],
  [[0xfe, 0xc0], 10, "site-local"],
  [[0xff], 8, "multicast"],
];

function inRange(bytes: readonly number[], [prefix, bits]: Range): boolean {
  for (let bit = 0; bit < bits; bit += 8) {
    const mask = bits - bit >= 8 ? 0xff : (0xff << (8 - (bits - bit))) & 0xff;
    if (((bytes[bit / 8] ?? 0) & mask) !== ((prefix[bit / 8] ?? 0) & mask)) return false;
  }
  return true;
}

/**
 * Why the address is not a public one ("loopback", "private", "link-local", …), or null when it
 * is. IPv4-mapped and IPv4-compatible forms are judged as their IPv4 address.
 */
export function internalRangeOf(parsed: IpAddress): string | null {
  const ip = unwrap(parsed);
  const ranges = ip.version === 4 ? IPV4_INTERNAL : IPV6_INTERNAL;
  return ranges.find((range) => inRange(ip.bytes, range))?.[2] ?? null;
}

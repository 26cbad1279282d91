import { describe, expect, it } from "vitest";
import { embeddedIpv4, internalRangeOf, ipScope, parseIp } from "../../src/core/ip.ts";

describe("ipScope", () => {
  it.each([
    // IPv4, as is.
    ["203.0.113.7", "203.0.113.7"],
    ["0.0.0.0", "0.0.0.0"],
    ["255.255.255.255", "255.255.255.255"],
    // IPv4-mapped: counted as the IPv4 address, however the IPv6 part is spelt.
    ["::ffff:198.51.100.218", "198.51.100.218"],
    ["::ffff:203.0.113.219", "203.0.113.219"],
    ["::FFFF:198.51.100.218", "198.51.100.218"],
    ["::ffff:c633:64da", "198.51.100.218"],
    ["::ffff:C633:64DA", "198.51.100.218"],
    ["0:0:0:0:0:ffff:198.51.100.218", "198.51.100.218"],
    ["0000:0000:0000:0000:0000:ffff:c633:64da", "198.51.100.218"],
    ["::0:ffff:c633:64da", "198.51.100.218"],
    ["::ffff:0.0.0.0", "0.0.0.0"],
    // IPv4-compatible (deprecated ::/96): the IPv4 address, except :: and ::1 themselves.
    ["::198.51.100.218", "198.51.100.218"],
    ["::c633:64da", "198.51.100.218"],
    ["0:0:0:0:0:0:198.51.100.218", "198.51.100.218"],
    ["::2", "0.0.0.2"],
    ["::", "0:0:0:0::/64"],
    ["::1", "0:0:0:0::/64"],
    ["0:0:0:0:0:0:0:1", "0:0:0:0::/64"],
    // Every spelling of one /64 is one key: case, leading zeros, :: anywhere, full form.
    ["2001:db8:1:2::1", "2001:db8:1:2::/64"],
    ["2001:DB8:1:2::1", "2001:db8:1:2::/64"],
    ["2001:0db8:0001:0002:0000:0000:0000:0001", "2001:db8:1:2::/64"],
    ["2001:db8:1:2:0:0:0:1", "2001:db8:1:2::/64"],
    ["2001:0DB8:0001:0002:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64"],
    ["2001:db8:1:2:ffff::9", "2001:db8:1:2::/64"],
    ["2001:db8:1:2::192.0.2.1", "2001:db8:1:2::/64"],
    ["2001:db8::1", "2001:db8:0:0::/64"],
    ["2001:db8:0:0:1::", "2001:db8:0:0::/64"],
    ["2001:db8:0000:0::ffff:1.2.3.4", "2001:db8:0:0::/64"],
    ["1:2:3:4:5:6:7::", "1:2:3:4::/64"],
    ["::2:3:4:5:6:7:8", "0:2:3:4::/64"],
    ["1:2:3:4:5:6:1.2.3.4", "1:2:3:4::/64"],
    ["fe80::1", "fe80:0:0:0::/64"],
  ])("%s counts as %s", (ip, scope) => {
    expect(ipScope(ip)).toBe(scope);
  });

  it.each([
    "",
    "hello",
    "256.1.1.1",
    "01.2.3.4", // leading zeros: octal to some parsers, decimal to others
    "192.168.010.1",
    "1.2.3",
    "1.2.3.4.5",
    "0x7f.0.0.1",
    "2130706433",
    " 192.0.2.1",
    "192.0.2.1 ",
    "192.0.2.1:80", // a port
    "[::1]", // brackets
    "[2001:db8::1]:443",
    "fe80::1%eth0", // a zone id
    "fe80::1%25eth0",
    "::ffff:01.2.3.4",
    "::ffff:1.2.3",
    "::ffff:256.0.0.1",
    "::ffff:1.2.3.4:5",
    "1.2.3.4::", // a dotted quad anywhere but at the end
    "1:2:3",
    "1::2::3",
    ":::",
    ":1:2:3:4:5:6:7",
    "1:2:3:4:5:6:7:",
    "1:2:3:4:5:6:7:8:9",
    "1:2:3:4:5:6:7:8::",
    "::1:2:3:4:5:6:7:8",
    "1:2:3:4:5:6:7:1.2.3.4",
    "12345::",
    "g::1",
    "2001:db8::1/64",
  ])("%j is not an address", (ip) => {
    expect(ipScope(ip)).toBeNull();
    expect(parseIp(ip)).toBeNull();
  });
});

describe("parseIp", () => {
  it("reads IPv4 and IPv6 to their bytes", () => {
    expect(parseIp("192.0.2.177")).toEqual({ version: 4, bytes: [192, 0, 2, 177] });
    expect(parseIp("2001:db8::ff00:42:8329")).toEqual({ version: 6, bytes: [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0xff, 0x00, 0x00, 0x42, 0x83, 0x29] });
    expect(parseIp("::")).toEqual({ version: 6, bytes: new Array(16).fill(0) });
  });

  it("finds the IPv4 address in mapped and compatible forms only", () => {
    const v4 = (text: string) => embeddedIpv4(parseIp(text)!);
    expect(v4("::ffff:192.0.2.177")).toEqual([192, 0, 2, 177]);
    expect(v4("::ffff:c000:2b1")).toEqual([192, 0, 2, 177]);
    expect(v4("::192.0.2.177")).toEqual([192, 0, 2, 177]);
    expect(v4("::")).toBeNull();
    expect(v4("::1")).toBeNull();
    expect(v4("::fffe:c000:2b1")).toBeNull();
    expect(v4("1::ffff:c000:2b1")).toBeNull();
    expect(v4("64:ff9b::c000:2b1")).toBeNull();
    expect(v4("192.0.2.177")).toBeNull();
  });
});

describe("internalRangeOf", () => {
  it.each([
    ["0.0.0.0", "unspecified"],
    ["0.1.2.3", "unspecified"],
    ["10.0.0.1", "private"],
    ["10.255.255.255", "private"],
    ["100.64.0.1", "shared (carrier-grade NAT)"],
    ["100.100.100.200", "shared (carrier-grade NAT)"], // Alibaba Cloud metadata
    ["100.127.255.255", "shared (carrier-grade NAT)"],
    ["127.0.0.1", "loopback"],
    ["127.255.0.9", "loopback"],
    ["169.254.169.254", "link-local"], // AWS, GCP, Azure metadata
    ["169.254.0.1", "link-local"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["192.168.0.1", "private"],
    ["224.0.0.1", "multicast"],
    ["240.0.0.1", "reserved"],
    ["255.255.255.255", "reserved"],
    ["::", "unspecified"],
    ["::1", "loopback"],
    ["fe80::1", "link-local"],
    ["febf:ffff::1", "link-local"],
    ["fec0::1", "site-local"],
    ["fc00::1", "unique-local"],
    ["fd00:ec2::254", "unique-local"], // AWS metadata over IPv6
    ["fdff:ffff::1", "unique-local"],
    ["ff02::1", "multicast"],
    // IPv4-mapped and IPv4-compatible forms are judged as their IPv4 address.
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:7f00:1", "loopback"],
    ["0:0:0:0:0:ffff:a9fe:a9fe", "link-local"],
    ["::ffff:10.0.0.1", "private"],
    ["::ffff:100.100.100.200", "shared (carrier-grade NAT)"],
    ["::127.0.0.1", "loopback"],
    ["::a9fe:a9fe", "link-local"],
    ["::2", "unspecified"],
  ])("%s is %s", (ip, range) => {
    expect(internalRangeOf(parseIp(ip)!)).toBe(range);
  });

  it.each([
    "8.8.8.8",
    "1.1.1.1",
    "9.255.255.255",
    "11.0.0.0",
    "100.63.255.255",
    "100.128.0.0",
    "126.255.255.255",
    "128.0.0.0",
    "169.253.255.255",
    "169.255.0.0",
    "172.15.255.255",
    "172.32.0.0",
    "192.167.255.255",
    "192.169.0.0",
    "223.255.255.255",
    "198.51.100.7",
    "2606:4700:4700::1111",
    "2001:db8::1",
    "fbff::1",
    "fe00::1",
    "::ffff:8.8.8.8",
    "::8.8.8.8",
  ])("%s is public", (ip) => {
    expect(internalRangeOf(parseIp(ip)!)).toBeNull();
  });
});

import { addressVerdict, parseAllowList, urlVerdict, OPEN_POLICY } from '../../domain/outbound';

describe('addressVerdict (default policy)', () => {
  const cases: [string, string, boolean][] = [
    ['cloud metadata (link-local)', '169.254.169.254', false],
    ['any IPv4 link-local', '169.254.0.1', false],
    ['IPv6 link-local', 'fe80::1', false],
    ['0.0.0.0 (reaches localhost on Linux)', '0.0.0.0', false],
    ['0.1.2.3', '0.1.2.3', false],
    ['IPv6 unspecified', '::', false],
    ['IPv4 multicast', '224.0.0.1', false],
    ['IPv6 multicast', 'ff02::1', false],
    ['broadcast', '255.255.255.255', false],
    ['IPv4-mapped metadata', '::ffff:169.254.169.254', false],
    ['IPv4-mapped metadata, hex form', '::ffff:a9fe:a9fe', false],
    ['NAT64 metadata', '64:ff9b::a9fe:a9fe', false],
    ['6to4 metadata', '2002:a9fe:a9fe::1', false],
    ['IPv4-compatible metadata', '::169.254.169.254', false],
    ['AWS metadata over IPv6', 'fd00:ec2::254', false],
    ['Alibaba Cloud metadata', '100.100.100.200', false],
    ['Azure wire server', '168.63.129.16', false],
    ['loopback (local fleets)', '127.0.0.1', true],
    ['IPv6 loopback', '::1', true],
    ['IPv4-mapped loopback', '::ffff:127.0.0.1', true],
    ['private 10/8', '10.1.2.3', true],
    ['private 192.168/16', '192.168.1.10', true],
    ['unique local IPv6', 'fd12:3456::1', true],
    ['public', '93.184.216.34', true],
    ['not an address', 'example.com', false],
  ];
  it.each(cases)('%s: %s → %s', (_n, ip, ok) => expect(addressVerdict(ip, OPEN_POLICY, false).ok).toBe(ok));
});

describe('addressVerdict with an allow-list', () => {
  const policy = parseAllowList('10.0.0.0/8, fd00::/8, 192.168.7.7, *.fleet.example.com, db.example.com');
  const cases: [string, string, boolean, boolean][] = [
    ['inside a CIDR', '10.9.8.7', false, true],
    ['IPv4-mapped inside a CIDR', '::ffff:10.9.8.7', false, true],
    ['a listed single address', '192.168.7.7', false, true],
    ['outside every CIDR', '192.168.7.8', false, false],
    ['loopback, not listed', '127.0.0.1', false, false],
    ['IPv6 inside', 'fd00::5', false, true],
    ['admitted by host name', '203.0.113.5', true, true],
    ['admitted by name but link-local: refused still', '169.254.169.254', true, false],
  ];
  it.each(cases)('%s', (_n, ip, byName, ok) => expect(addressVerdict(ip, policy, byName).ok).toBe(ok));

  it('names the variable when it refuses', () => {
    expect(addressVerdict('127.0.0.1', policy, false)).toEqual({ ok: false, reason: '127.0.0.1 is not in TOLLGATE_TARGET_ALLOW' });
  });
});

describe('urlVerdict', () => {
  const cases: [string, string, boolean][] = [
    ['http', 'http://127.0.0.1:4100/health', true],
    ['https with a name', 'https://web-1.fleet.internal/health', true],
    ['file', 'file:///etc/passwd', false],
    ['gopher', 'gopher://127.0.0.1/', false],
    ['credentials in the URL', 'http://user:pw@127.0.0.1/', false],
    ['metadata literal', 'http://169.254.169.254/latest/meta-data/', false],
    ['metadata in decimal (the URL parser normalises it)', 'http://2852039166/', false],
    ['metadata in hex', 'http://0xa9.0xfe.0xa9.0xfe/', false],
    ['IPv6 literal mapped', 'http://[::ffff:169.254.169.254]/', false],
    ['metadata name', 'http://metadata.google.internal/computeMetadata/v1/', false],
    ['metadata name, trailing dot and capitals', 'http://Metadata.Google.Internal./', false],
    ['0.0.0.0', 'http://0.0.0.0:8080/', false],
    ['not a URL', 'nope', false],
  ];
  it.each(cases)('%s', (_n, url, ok) => expect(urlVerdict(url, OPEN_POLICY).ok).toBe(ok));
});

describe('parseAllowList', () => {
  it('reads CIDRs, addresses and host patterns', () => {
    const p = parseAllowList(' 10.0.0.0/8 ,, *.Example.com,127.0.0.1 ');
    expect(p.allowCidrs.map(([a, bits]) => `${a.toString()}/${bits}`)).toEqual(['10.0.0.0/8', '127.0.0.1/32']);
    expect(p.allowHosts).toEqual(['*.example.com']);
  });
  it.each([['10.0.0.0/99'], ['http://x'], ['a b']])('refuses %s naming it', (entry) => {
    expect(() => parseAllowList(entry)).toThrow(entry);
  });
});

/**
 * fail2ban's regex tags (`<HOST>`, `<F-USER>…</F-USER>`, `<SKIPLINES>` …) -> Python regex text.
 * Tag tokens are `</?[\w\-]+/?>`; anything not listed below stays in the regex literally.
 */

// Building blocks (fail2ban master).
const IP4 = String.raw`(?:\d{1,3}\.){3}\d{1,3}`;
const IP6 = String.raw`(?:[0-9a-fA-F]{1,4}::?|:){1,7}(?:[0-9a-fA-F]{1,4}|(?<=:):)`;
const G_IP4 = String.raw`(?:::f{4,6}:)?(?P<ip4>${IP4})`;
const G_IP6 = `(?P<ip6>${IP6})`;
const G_DNS = String.raw`(?P<dns>[\w\-.^_]*\w)`;
const G_CIDR = String.raw`(?P<cidr>\d+)`;
const ADDR = String.raw`\[?(?:${G_IP4}|${G_IP6})\]?`;
const HOST = `(?:${ADDR}|${G_DNS})`;
const SUBNET = String.raw`\[?(?:${G_IP4}|${G_IP6})(?:/${G_CIDR})?\]?`;

const STATIC: Record<string, string> = {
  ADDR,
  'F-ADDR/': ADDR,
  IP4: G_IP4,
  'F-IP4/': G_IP4,
  IP6: G_IP6,
  'F-IP6/': G_IP6,
  DNS: G_DNS,
  'F-DNS/': G_DNS,
  CIDR: G_CIDR,
  'F-CIDR/': G_CIDR,
  SUBNET,
  'F-SUBNET/': SUBNET,
  'F-ID/': String.raw`(?P<fid>\S+)`,
  'F-PORT/': String.raw`(?P<fport>\w+)`,
};

/** `<F-NAME>` group names with a fixed mapping. */
const GROUP_NAME: Record<string, string> = { ID: 'fid', PORT: 'fport' };

const TAG = /<\/?[\p{L}\p{N}_-]+\/?>/gu;
const CUSTOM = /^(\/?)F-([A-Z0-9_-]+)$/;

/** Expand fail2ban tags. `usedns = "no"` drops the dns alternative from `<HOST>`. */
export function expandTags(regex: string, opts?: { usedns?: string | null }): string {
  const useDns = opts?.usedns ?? 'yes';
  const opened = new Set<string>();
  let skip = 0;
  return regex.replace(TAG, (tag) => {
    const name = tag.slice(1, -1);
    if (name === 'HOST') return useDns === 'no' ? ADDR : HOST;
    if (name === 'SKIPLINES') return String.raw`\n(?P<skiplines${skip++}>(?:(?:.*\n)*?))`;
    const fixed = STATIC[name];
    if (fixed !== undefined) return fixed;
    const m = CUSTOM.exec(name);
    if (!m) return tag;
    const key = m[2]!;
    if (m[1]) return opened.has(key) ? ')' : tag; // a closing tag with no opener stays literal
    opened.add(key);
    return `(?P<${GROUP_NAME[key] ?? key.toLowerCase()}>`;
  });
}

/**
 * Fixed-offset time zones as fail2ban understands them: `[ABBR][±hh[[:]mm]]`, where ABBR is a
 * zone abbreviation with a fixed offset (no DST switching: `CET` is always +01:00).
 */
import { ConfigError } from '../../core/errors.js';
import type { Where } from '../../config/types.js';

/** Abbreviation → offset in hours (fail2ban's fixed table; the first listing of a name wins). */
const ZONES_BY_OFFSET: readonly (readonly [number, string])[] = [
  [-12, 'Y'],
  [-11, 'X NUT SST'],
  [-10, 'W CKT HAST HST TAHT TKT'],
  [-9, 'V AKST GAMT GIT HADT HNY'],
  [-8, 'U AKDT CIST HAY HNP PST PT'],
  [-7, 'T HAP HNR MST PDT'],
  [-6, 'S CST EAST GALT HAR HNC MDT'],
  [-5, 'R CDT COT EASST ECT EST ET HAC HNE PET'],
  [-4, 'Q AST BOT CLT COST EDT FKT GYT HAA PYT VET'],
  [-3, 'P ADT ARST BRT CLST FKST GFT HAT PMDT PYST SRT UYT WGT'],
  [-2, 'O BRST FNT PMST UYST WGST'],
  [-1, 'N AZOT CVT EGT'],
  [0, 'Z EGST GMT UTC WET WT'],
  [1, 'A CET DFT WAT WEDT WEST'],
  [2, 'B CAT CEST EET EEST SAST WAST MESZ'],
  [3, 'C EAT EEDT EESTSAT FET IDT MSK TRT'],
  [4, 'D AMT AZT GET GST KUYT MSD MUT RET SAMT SCT'],
  [5, 'E AMST AQTT AZST HMT MAWT MVT PKT TFT TJT TMT UZT YEKT'],
  [6, 'F ALMT BIOT BTT IOT KGT NOVT OMST YEKST'],
  [7, 'G CXT DAVT HOVT ICT KRAT NOVST OMSST THA WIB'],
  [8, 'H ACT AWST BDT BNT CAST HKT IRKT KRAST MYT PHT SGT ULAT WITA WST'],
  [9, 'I AWDT IRKST JST KST PWT TLT WDT WIT YAKT'],
  [10, 'K AEST PGT VLAT YAKST YAPT'],
  [11, 'L AEDT LHDT MAGT NCT PONT SBT VLAST VUT'],
  [12, 'M ANAST ANAT FJT GILT MAGST MHT NZST PETST PETT TVT WFT'],
  [13, 'FJST NZDT'],
  [11.5, 'NFT'],
  [10.5, 'ACDT LHST'],
  [9.5, 'ACST'],
  [6.5, 'CCT MMT'],
  [5.75, 'NPT'],
  [5.5, 'SLT'],
  [4.5, 'AFT IRDT'],
  [3.5, 'IRST'],
  [-2.5, 'NDT'],
  [-3.5, 'HNT NST NT'],
  [-4.5, 'HLV'],
  [-9.5, 'HAM HNM MART MIT'],
];

const ZONE_MINUTES = new Map<string, number>();
for (const [hours, names] of ZONES_BY_OFFSET) {
  for (const n of names.split(' ')) if (!ZONE_MINUTES.has(n)) ZONE_MINUTES.set(n, Math.round(hours * 60));
}

/** Regex text of a zone abbreviation (1 or 3–5 upper-case letters). */
export const TZ_ABBR_RE = '[A-Z](?:[A-Z]{2,4})?';

const FIXED_OFFSET_RE = new RegExp(`^(${TZ_ABBR_RE})?([+-][01]\\d(?::?\\d{2})?)?$`);

/**
 * Offset in minutes east of UTC for a zone text as found in a log line or given as
 * `logtimezone`; null when it is not a supported fixed-offset zone.
 */
const zoneCache = new Map<string, number | null>();

export function zoneOffset(tz: string): number | null {
  let off = zoneCache.get(tz);
  if (off === undefined) {
    off = parseZone(tz);
    if (zoneCache.size > 1000) zoneCache.clear();
    zoneCache.set(tz, off);
  }
  return off;
}

function parseZone(tz: string): number | null {
  if (tz === 'Z' || tz === 'UTC' || tz === 'GMT') return 0;
  const m = FIXED_OFFSET_RE.exec(tz);
  if (m === null) return null;
  let base = 0;
  if (m[1] !== undefined) {
    const z = ZONE_MINUTES.get(m[1]);
    if (z === undefined) return null;
    base = z;
  }
  const off = m[2];
  if (off === undefined) return base;
  const sign = off.startsWith('-') ? -1 : 1;
  const hh = Number(off.slice(1, 3));
  let mm = 0;
  if (off.length > 3) mm = Number(off[3] === ':' ? off.slice(4, 6) : off.slice(3, 5));
  return base + sign * (hh * 60 + mm);
}

/**
 * `logtimezone` / `--timezone` → fixed offset in minutes. Empty → null (local time).
 * Unknown zones (e.g. `Europe/Paris`, lower-case names) are config errors, as in fail2ban.
 */
export function parseTimezone(tz: string, where?: Where): number | null {
  const t = tz.trim();
  if (t === '') return null;
  const off = zoneOffset(t);
  if (off === null) throw new ConfigError(`Unknown or unsupported time zone: '${tz}'`, where);
  return off;
}

/** Date detection (fail2ban's datedetector): see detector.ts. */
export { DateDetector } from './detector.js';
export type { DateDetectorOptions, DateMatch, DateTemplate } from './detector.js';
export { parseTimezone } from './timezone.js';

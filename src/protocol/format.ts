/** Number formatting shared by replies (doubles as Redis 7.0 prints them with %.17g). */
export { formatDouble17g as formatDouble } from '../util/numbers.js';

/** Shoal's own version. */
export const SHOAL_VERSION = '0.1.0';
/** The Redis version whose behaviour Shoal follows (clients read it from INFO and HELLO; RDB files carry it). */
export const REDIS_COMPAT_VERSION = '7.2.0';

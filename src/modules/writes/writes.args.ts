/** The optional idempotencyKey argument every creating or changing mutation takes. */
export const IDEMPOTENCY_KEY = {
  nullable: true,
  description:
    "Optional key (1 to 200 printable characters, unique per party): a retry with the same key returns the first " +
    "result and applies nothing; the same key with another request is a CONFLICT.",
} as const;

// Identifiers of the demo world: S10 item identifiers, scrambled serials, movement references.

const S10_WEIGHTS = [8, 6, 4, 2, 3, 5, 9, 7];

/** UPU S10 check digit of an 8-digit serial: 11 - (weighted sum mod 11); 10 -> 0, 11 -> 5. */
export function s10CheckDigit(serial: string): number {
  let sum = 0;
  for (let i = 0; i < 8; i++) sum += (serial.charCodeAt(i) - 48) * S10_WEIGHTS[i];
  const c = 11 - (sum % 11);
  return c === 10 ? 0 : c === 11 ? 5 : c;
}

/** An S10 item identifier, e.g. s10("RR", 12345678, "CN") = "RR123456785CN". */
export function s10(serviceIndicator: string, serial: number, country: string): string {
  const digits = String(serial % 1e8).padStart(8, "0");
  return `${serviceIndicator}${digits}${s10CheckDigit(digits)}${country}`;
}

/**
 * A bijection of [0, modulus) (multiplier coprime to the modulus), so the n-th declaration
 * gets a distinct serial that does not look sequential. Exact below 2^53: n * 48271 + salt.
 */
export function scramble(n: number, modulus: number, salt: number): number {
  return (n * 48271 + salt) % modulus;
}

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/**
 * A movement reference in the form registration assigns (newMovementReference in
 * src/modules/risk: YY, destination, 14 letters and digits), drawn from the declaration's
 * number instead of random bytes so the world is reproducible; distinct per n (base 36 of
 * a bijection of n, far beyond any seed's count).
 */
export function seedMovementReference(n: number, country: string, at: Date): string {
  let v = scramble(n, 36 ** 10, 7_777_777);
  let tail = "";
  for (let i = 0; i < 10; i++) {
    tail = ALPHABET[v % 36] + tail;
    v = Math.floor(v / 36);
  }
  tail += ALPHABET[n % 36] + ALPHABET[(n * 7) % 36] + ALPHABET[(n * 11) % 36] + ALPHABET[(n * 13) % 36];
  return `${String(at.getUTCFullYear()).slice(2)}${country}${tail}`;
}

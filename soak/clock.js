// Soak-only clock: Date.now() and `new Date()` run `offsetMs` ahead of the real clock, so the soak
// can let days pass for the expiry and retention alarms without waiting for them. Evaluated
// before the product's bundle (first import of soak/entry.js); the offset starts at 0.
const RealDate = Date;
let offsetMs = 0;

class SoakDate extends RealDate {
  constructor(...args) {
    if (args.length === 0) super(RealDate.now() + offsetMs);
    else super(...args);
  }
  static now() {
    return RealDate.now() + offsetMs;
  }
}
globalThis.Date = SoakDate;

export const realNow = () => RealDate.now();
export function setClockOffset(ms) {
  offsetMs = ms;
}
export const clockOffset = () => offsetMs;

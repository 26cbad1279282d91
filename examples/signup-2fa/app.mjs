// The example app: sign-up with a verified phone, login with an SMS code, step-up before a
// high-risk change. Server-side sessions and an in-memory store; edge-verify is called only from
// here, through @edge-verify/client, with the API key this process holds and the browser never sees.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { Hono } from "hono";
import { getCookie, setCookie, deleteCookie } from "hono/cookie";
import { checkMessage, errorMessage } from "./messages.mjs";
import { DUMMY_HASH, hashPassword, verifyPassword } from "./passwords.mjs";
import * as views from "./views.mjs";

const SESSION_COOKIE = "sid";
const SESSION_TTL_MS = 8 * 60 * 60 * 1000;
/** How long an approved step-up code allows one high-risk change. */
const STEP_UP_TTL_MS = 5 * 60 * 1000;
const MIN_PASSWORD_LENGTH = 10;

/**
 * @param {object} options
 * @param {import("@edge-verify/client").VerifyClient} options.verify
 * @param {number} options.maxCheckAttempts the deployment's MAX_CHECK_ATTEMPTS (default 5), for "N attempts left"
 * @param {boolean} options.trustProxy take the client IP from X-Forwarded-For (only behind your own proxy)
 * @param {boolean} options.secureCookies Secure cookies (on for HTTPS; off for http://127.0.0.1)
 * @param {(c: any) => string} options.remoteAddress the TCP peer's address
 * @param {(line: object) => void} [options.log]
 */
export function createApp({ verify, maxCheckAttempts = 5, trustProxy = false, secureCookies = false, remoteAddress, log = (line) => console.log(JSON.stringify(line)) }) {
  // In-memory store: users by id, an index by phone number (E.164 as edge-verify normalised it),
  // and sessions by id. A real app puts these in its database.
  const users = new Map();
  const userIdByPhone = new Map();
  const sessions = new Map();

  const app = new Hono();

  // Security headers on every page: no framing, no inline script, nothing from elsewhere.
  app.use(async (c, next) => {
    await next();
    c.header("content-security-policy", "default-src 'self'; script-src 'self'; style-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'");
    c.header("x-content-type-options", "nosniff");
    c.header("referrer-policy", "same-origin");
    c.header("cache-control", "no-store");
  });

  // Every visitor gets a server-side session; the cookie holds only its random id.
  app.use(async (c, next) => {
    const id = getCookie(c, SESSION_COOKIE);
    let session = id ? sessions.get(id) : undefined;
    if (!session || session.expiresAt < Date.now()) {
      if (session) sessions.delete(session.id);
      session = newSession();
      setSessionCookie(c, session);
    }
    c.set("session", session);
    await next();
  });

  // CSRF: every POST carries the session's token; SameSite=Lax cookies are the second layer.
  app.use(async (c, next) => {
    if (c.req.method !== "POST") return next();
    const form = await c.req.parseBody();
    c.set("form", form);
    const token = typeof form.csrf === "string" ? form.csrf : "";
    if (!equal(token, c.get("session").csrf)) return c.html(views.error("This form has expired. Go back, reload the page and try again."), 403);
    return next();
  });

  app.get("/static/countdown.js", (c) => c.body(views.COUNTDOWN_JS, 200, { "content-type": "text/javascript; charset=utf-8" }));
  app.get("/static/style.css", (c) => c.body(views.STYLE_CSS, 200, { "content-type": "text/css; charset=utf-8" }));

  app.get("/", (c) => {
    const session = c.get("session");
    const user = currentUser(session);
    if (!user) return c.html(views.home(session));
    return c.html(views.account(session, user, takeNotice(session)));
  });

  // ---- Sign-up: name, password, phone → a code to that phone → the account, with a verified phone.

  app.get("/signup", (c) => c.html(views.signup(c.get("session"), {})));

  app.post("/signup", async (c) => {
    const session = c.get("session");
    const form = c.get("form");
    const name = text(form.name).trim();
    const password = text(form.password);
    const phone = text(form.phone).trim();
    const problem = !name ? "Tell us your name." : password.length < MIN_PASSWORD_LENGTH ? `Choose a password of at least ${MIN_PASSWORD_LENGTH} characters.` : !phone ? "Enter your mobile number." : null;
    if (problem) return c.html(views.signup(session, { name, phone, error: problem }), 400);
    // The password is hashed now; the account exists only once the phone is verified. Whether the
    // number is already registered is not looked at here: the answer must be the same either way.
    const passwordHash = await hashPassword(password);
    const started = await startCode(c, { purpose: "signup", to: phone, name, passwordHash, externalId: `signup:${sessionTag(session)}` });
    if (started.error && !started.pending) return c.html(views.signup(session, { name, phone, error: started.error }), 400);
    return c.redirect("/code", 303);
  });

  // ---- Login: number and password → a code to the account's phone → a session.

  app.get("/login", (c) => c.html(views.login(c.get("session"), {})));

  app.post("/login", async (c) => {
    const session = c.get("session");
    const form = c.get("form");
    const phone = text(form.phone).trim();
    const password = text(form.password);
    const userId = userIdByPhone.get(normalizedGuess(phone));
    const user = userId ? users.get(userId) : undefined;
    // Hash against a dummy when the number is unknown: same answer, same time, no enumeration.
    const ok = (await verifyPassword(password, user?.passwordHash ?? DUMMY_HASH)) && user !== undefined;
    if (!ok) {
      log({ event: "login_password_refused", ip: clientIp(c) });
      return c.html(views.login(session, { phone, error: "That number and password do not match an account." }), 401);
    }
    const started = await startCode(c, { purpose: "login", to: user.phone, userId: user.id, externalId: user.id });
    if (started.error && !started.pending) return c.html(views.login(session, { phone, error: started.error }), 400);
    return c.redirect("/code", 303);
  });

  // ---- The code page, shared by every purpose: the pending verification lives in the session.

  app.get("/code", (c) => {
    const session = c.get("session");
    if (!session.pending) return c.redirect("/", 303);
    return c.html(views.code(session, session.pending, takeNotice(session)));
  });

  app.post("/code", async (c) => {
    const session = c.get("session");
    const pending = session.pending;
    if (!pending) return c.redirect("/", 303);
    const code = text(c.get("form").code).replace(/\s+/g, "");
    if (!pending.verificationId) return noticeAndBack(c, "No code has been sent yet. Ask for one below.");
    if (!/^\d{4,10}$/.test(code)) return noticeAndBack(c, "Codes are 4 to 10 digits. Check the text message and try again.");
    let result;
    try {
      // Bound to this session: the verification id comes from the session, never from the form.
      result = await verify.check({ verificationId: pending.verificationId, code }, { idempotencyKey: actionKey(c, "check") });
    } catch (error) {
      return noticeAndBack(c, failure(c, error, "check").text);
    }
    log({ event: "code_checked", purpose: pending.purpose, userId: pending.userId, to: mask(pending.to), status: result.status, ip: clientIp(c) });
    if (result.status !== "approved") return noticeAndBack(c, checkMessage(result, { maxCheckAttempts }));
    // Approved: the number edge-verify verified (E.164) must be the one this session asked for.
    if (result.verification.to !== pending.to) return noticeAndBack(c, "That code was for another number. Ask for a new code.");
    session.pending = undefined;
    return approved(c, pending, result.verification.to);
  });

  app.post("/code/resend", async (c) => {
    const session = c.get("session");
    const pending = session.pending;
    if (!pending) return c.redirect("/", 303);
    const started = await startCode(c, { ...pending });
    if (!started.error) session.notice = { text: "We sent a new code." };
    return c.redirect("/code", 303);
  });

  app.post("/code/cancel", (c) => {
    const session = c.get("session");
    session.pending = undefined;
    return c.redirect("/", 303);
  });

  // ---- Step-up: a fresh code to the account's phone before a high-risk change.

  app.post("/step-up", async (c) => {
    const session = c.get("session");
    const user = currentUser(session);
    if (!user) return c.redirect("/login", 303);
    const next = c.get("form").next === "phone" ? "phone" : "password";
    if (stepUpFresh(session)) return c.redirect(`/account/${next}`, 303);
    await startCode(c, { purpose: "step_up", to: user.phone, userId: user.id, next, externalId: user.id });
    return c.redirect("/code", 303);
  });

  app.get("/account/password", (c) => {
    const session = c.get("session");
    const user = currentUser(session);
    if (!user) return c.redirect("/login", 303);
    if (!stepUpFresh(session)) return c.redirect("/", 303);
    return c.html(views.changePassword(session, {}));
  });

  app.post("/account/password", async (c) => {
    const session = c.get("session");
    const user = currentUser(session);
    if (!user) return c.redirect("/login", 303);
    if (!stepUpFresh(session)) return c.html(views.error("Confirm with a new code first: go back to your account."), 403);
    const password = text(c.get("form").password);
    if (password.length < MIN_PASSWORD_LENGTH) return c.html(views.changePassword(session, { error: `Choose a password of at least ${MIN_PASSWORD_LENGTH} characters.` }), 400);
    user.passwordHash = await hashPassword(password);
    session.stepUpUntil = 0; // one change per code
    // Other sessions of this user end: whoever knew the old password is logged out.
    for (const other of sessions.values()) if (other.userId === user.id && other.id !== session.id) sessions.delete(other.id);
    log({ event: "password_changed", userId: user.id, ip: clientIp(c) });
    session.notice = { text: "Your password is changed." };
    return c.redirect("/", 303);
  });

  app.get("/account/phone", (c) => {
    const session = c.get("session");
    const user = currentUser(session);
    if (!user) return c.redirect("/login", 303);
    if (!stepUpFresh(session)) return c.redirect("/", 303);
    return c.html(views.changePhone(session, {}));
  });

  app.post("/account/phone", async (c) => {
    const session = c.get("session");
    const user = currentUser(session);
    if (!user) return c.redirect("/login", 303);
    if (!stepUpFresh(session)) return c.html(views.error("Confirm with a new code first: go back to your account."), 403);
    const phone = text(c.get("form").phone).trim();
    if (!phone) return c.html(views.changePhone(session, { error: "Enter your new mobile number." }), 400);
    // The new number is verified before it replaces the old one.
    const started = await startCode(c, { purpose: "new_phone", to: phone, userId: user.id, externalId: user.id });
    if (started.error) return c.html(views.changePhone(session, { phone, error: started.error }), 400);
    return c.redirect("/code", 303);
  });

  app.post("/logout", (c) => {
    const session = c.get("session");
    sessions.delete(session.id);
    deleteCookie(c, SESSION_COOKIE, { path: "/" });
    return c.redirect("/", 303);
  });

  /** What an approved code unlocks, by purpose. */
  function approved(c, pending, phone) {
    let session = c.get("session");
    switch (pending.purpose) {
      case "signup": {
        // Only now, to someone who proved they hold the number, may the app say it is taken.
        if (userIdByPhone.has(phone)) {
          log({ event: "signup_number_taken", to: mask(phone), ip: clientIp(c) });
          session.notice = { text: "This number already has an account. Log in, or reset your password." };
          return c.redirect("/login", 303);
        }
        const user = { id: `u_${randomBytes(8).toString("hex")}`, name: pending.name, phone, passwordHash: pending.passwordHash };
        users.set(user.id, user);
        userIdByPhone.set(phone, user.id);
        log({ event: "signup_completed", userId: user.id, to: mask(phone), ip: clientIp(c) });
        session = rotate(c, user.id);
        session.notice = { text: "Your account is ready and your phone is verified." };
        return c.redirect("/", 303);
      }
      case "login": {
        log({ event: "login_completed", userId: pending.userId, ip: clientIp(c) });
        session = rotate(c, pending.userId);
        return c.redirect("/", 303);
      }
      case "step_up": {
        if (session.userId !== pending.userId) return c.redirect("/", 303);
        session.stepUpUntil = Date.now() + STEP_UP_TTL_MS;
        return c.redirect(`/account/${pending.next}`, 303);
      }
      case "new_phone": {
        const user = users.get(pending.userId);
        if (!user || session.userId !== user.id) return c.redirect("/", 303);
        if (!stepUpFresh(session)) {
          session.notice = { text: "That took too long. Confirm with a new code and change the number again." };
          return c.redirect("/", 303);
        }
        const owner = userIdByPhone.get(phone);
        if (owner && owner !== user.id) {
          session.notice = { text: "That number belongs to another account. Use another number." };
          return c.redirect("/", 303);
        }
        userIdByPhone.delete(user.phone);
        userIdByPhone.set(phone, user.id);
        log({ event: "phone_changed", userId: user.id, from: mask(user.phone), to: mask(phone), ip: clientIp(c) });
        user.phone = phone;
        session.stepUpUntil = 0;
        session.notice = { text: "Your new number is verified and saved." };
        return c.redirect("/", 303);
      }
    }
  }

  /**
   * Starts (or resends) a verification for `pending` and keeps it in the session. A refusal keeps
   * the pending step (so the page can count down to the next resend) and returns its words.
   */
  async function startCode(c, pending) {
    const session = c.get("session");
    const next = { ...pending, verificationId: pending.purpose === session.pending?.purpose && pending.to === session.pending?.to ? session.pending.verificationId : undefined };
    try {
      const verification = await verify.start(
        { to: pending.to, clientIp: clientIp(c), externalId: pending.externalId, tags: { purpose: pending.purpose } },
        { idempotencyKey: actionKey(c, `start:${pending.purpose}`) },
      );
      // From here on, the number is the one edge-verify normalised (E.164).
      session.pending = { ...next, to: verification.to, verificationId: verification.id, retryAt: undefined };
      log({ event: "code_sent", purpose: pending.purpose, userId: pending.userId, to: mask(verification.to), ip: clientIp(c) });
      return {};
    } catch (error) {
      const { text, retryAfterSeconds } = failure(c, error, `start:${pending.purpose}`, pending.to);
      // A cooldown on a number we already know is a step the user can wait out on the code page.
      if (error?.reason === "resend_too_soon" || (session.pending && session.pending.purpose === pending.purpose)) {
        session.pending = { ...next, retryAt: retryAfterSeconds ? Date.now() + retryAfterSeconds * 1000 : undefined };
        session.notice = { text, retryAfterSeconds };
        return { error: text, pending: true };
      }
      return { error: text };
    }
  }

  /** Words for a failed call, and one log line: reason, rule and masked number, never a code. */
  function failure(c, error, action, to) {
    const message = errorMessage(error);
    log({
      event: "verify_refused",
      action,
      code: error?.code,
      reason: error?.reason,
      rule: error?.rule,
      retryAfterSeconds: error?.retryAfterSeconds,
      to: to ? mask(to) : undefined,
      ip: clientIp(c),
      ...(message.unexpected ? { error: String(error?.message ?? error) } : {}),
    });
    return message;
  }

  function noticeAndBack(c, text) {
    c.get("session").notice = { text };
    return c.redirect("/code", 303);
  }

  /**
   * One idempotency key per user action: the form's one-time `action` value, scoped to the
   * session server-side, so a double submit is answered from edge-verify's record (no second SMS)
   * and one visitor's value can never replay another's.
   */
  function actionKey(c, what) {
    const form = c.get("form");
    const action = typeof form?.action === "string" && /^[0-9a-f]{32}$/.test(form.action) ? form.action : randomBytes(16).toString("hex");
    return `${what}:${sessionTag(c.get("session"))}:${action}`;
  }

  function clientIp(c) {
    if (trustProxy) {
      const forwarded = c.req.header("x-forwarded-for")?.split(",")[0]?.trim();
      if (forwarded) return forwarded;
    }
    return remoteAddress(c);
  }

  function currentUser(session) {
    return session.userId ? users.get(session.userId) : undefined;
  }

  function newSession() {
    const session = { id: randomBytes(32).toString("base64url"), csrf: randomBytes(32).toString("base64url"), expiresAt: Date.now() + SESSION_TTL_MS };
    sessions.set(session.id, session);
    return session;
  }

  /** A new session id (and CSRF token) at every privilege change: no session fixation. */
  function rotate(c, userId) {
    const old = c.get("session");
    sessions.delete(old.id);
    const session = newSession();
    session.userId = userId;
    c.set("session", session);
    setSessionCookie(c, session);
    return session;
  }

  function setSessionCookie(c, session) {
    setCookie(c, SESSION_COOKIE, session.id, { path: "/", httpOnly: true, sameSite: "Lax", secure: secureCookies, maxAge: SESSION_TTL_MS / 1000 });
  }

  /** A rough local guess at E.164 for the login lookup ("+1 415 555-2671" → "+14155552671"). */
  function normalizedGuess(phone) {
    return phone.replace(/[\s().-]/g, "");
  }

  return app;
}

function stepUpFresh(session) {
  return (session.stepUpUntil ?? 0) > Date.now();
}

function takeNotice(session) {
  const notice = session.notice;
  session.notice = undefined;
  if (notice?.retryAfterSeconds === undefined && session.pending?.retryAt) {
    const seconds = Math.ceil((session.pending.retryAt - Date.now()) / 1000);
    if (seconds > 0) return { ...notice, retryAfterSeconds: seconds };
  }
  return notice;
}

/** A stable, non-secret tag of the session for keys and external ids (never the id itself). */
function sessionTag(session) {
  return createHash("sha256").update(session.id).digest("hex").slice(0, 16);
}

function text(value) {
  return typeof value === "string" ? value : "";
}

function equal(a, b) {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** +14155552671 → +1•••••••71: enough to tell numbers apart in logs, not enough to dial. */
export function mask(phone) {
  return phone.length <= 4 ? "••••" : `${phone.slice(0, 2)}${"•".repeat(Math.max(0, phone.length - 4))}${phone.slice(-2)}`;
}

// The pages: plain HTML forms (they work without JavaScript), each POST form carrying the
// session's CSRF token and a one-time `action` value (the idempotency key of that user action).
// Every value is escaped; the only script is the resend countdown, served from /static.
import { randomBytes } from "node:crypto";

const esc = (value) =>
  String(value ?? "").replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch]);

function page(title, body) {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} · Acme (edge-verify example)</title>
<link rel="stylesheet" href="/static/style.css">
<script src="/static/countdown.js" defer></script>
</head>
<body>
<main>
<p class="brand"><a href="/">Acme</a> <small>sign-up and 2FA on edge-verify</small></p>
<h1>${esc(title)}</h1>
${body}
</main>
</body>
</html>`;
}

function form(session, path, inner, { submit, className = "" } = {}) {
  return `<form method="post" action="${esc(path)}" class="${esc(className)}">
<input type="hidden" name="csrf" value="${esc(session.csrf)}">
<input type="hidden" name="action" value="${randomBytes(16).toString("hex")}">
${inner}
${submit ? `<button type="submit">${esc(submit)}</button>` : ""}
</form>`;
}

function notice(n, role = "status") {
  if (!n?.text) return "";
  return `<p class="notice" role="${role}" data-testid="notice">${esc(n.text)}</p>`;
}

function errorLine(error) {
  return error ? `<p class="notice error" role="alert" data-testid="notice">${esc(error)}</p>` : "";
}

export function home(session) {
  const n = session.notice;
  session.notice = undefined;
  return page(
    "Welcome",
    `${notice(n)}
<p>This is a small app that verifies phone numbers with <a href="https://github.com/">edge-verify</a>.</p>
<p><a class="button" href="/signup">Create an account</a> <a class="button secondary" href="/login">Log in</a></p>`,
  );
}

export function signup(session, { name = "", phone = "", error }) {
  return page(
    "Create an account",
    `${errorLine(error)}
${form(
  session,
  "/signup",
  `<label>Name <input name="name" autocomplete="name" required value="${esc(name)}"></label>
<label>Password <input name="password" type="password" autocomplete="new-password" minlength="10" required></label>
<label>Mobile number <input name="phone" type="tel" autocomplete="tel" placeholder="+14155552671" required value="${esc(phone)}"></label>
<p class="hint">We text a code to this number to check it is yours.</p>`,
  { submit: "Send me a code" },
)}
<p>Have an account? <a href="/login">Log in</a>.</p>`,
  );
}

export function login(session, { phone = "", error }) {
  const n = session.notice;
  session.notice = undefined;
  return page(
    "Log in",
    `${notice(n)}${errorLine(error)}
${form(
  session,
  "/login",
  `<label>Mobile number <input name="phone" type="tel" autocomplete="tel" placeholder="+14155552671" required value="${esc(phone)}"></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required></label>`,
  { submit: "Log in" },
)}
<p>New here? <a href="/signup">Create an account</a>.</p>`,
  );
}

const PURPOSE_TITLES = {
  signup: "Check your phone",
  login: "Enter your login code",
  step_up: "Confirm it is you",
  new_phone: "Check your new number",
};
const PURPOSE_LINES = {
  signup: "to finish creating your account",
  login: "to log in",
  step_up: "before you change your account's security settings",
  new_phone: "to verify your new number",
};

export function code(session, pending, n) {
  const cooling = n?.retryAfterSeconds > 0;
  const sentLine = pending.verificationId
    ? `<p>We texted a code to <strong data-testid="masked-phone">${esc(maskForPage(pending.to))}</strong> ${PURPOSE_LINES[pending.purpose]}.</p>`
    : `<p>No code has been sent yet ${PURPOSE_LINES[pending.purpose]}.</p>`;
  return page(
    PURPOSE_TITLES[pending.purpose],
    `${notice(n, cooling ? "status" : "alert")}
${sentLine}
${form(
  session,
  "/code",
  `<label>Code <input name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]*" required autofocus></label>`,
  { submit: "Check code" },
)}
${form(
  session,
  "/code/resend",
  `<button type="submit" data-testid="resend" ${cooling ? `disabled data-countdown="${Math.ceil(n.retryAfterSeconds)}"` : ""}>Send a new code</button>
${cooling ? `<span class="hint" data-testid="countdown">You can ask again in <span data-countdown-seconds>${Math.ceil(n.retryAfterSeconds)}</span> s.</span>` : ""}`,
  { className: "inline" },
)}
${form(session, "/code/cancel", "", { submit: "Cancel", className: "inline secondary" })}`,
  );
}

export function account(session, user, n) {
  return page(
    `Hello, ${user.name}`,
    `${notice(n)}
<dl>
<dt>Verified mobile number</dt><dd data-testid="account-phone">${esc(user.phone)}</dd>
</dl>
<h2>Security</h2>
<p>Changing these asks for a new code sent to your phone.</p>
${form(session, "/step-up", `<input type="hidden" name="next" value="password">`, { submit: "Change password", className: "inline" })}
${form(session, "/step-up", `<input type="hidden" name="next" value="phone">`, { submit: "Change phone number", className: "inline" })}
${form(session, "/logout", "", { submit: "Log out", className: "inline secondary" })}`,
  );
}

export function changePassword(session, { error }) {
  return page(
    "Change your password",
    `${errorLine(error)}
${form(session, "/account/password", `<label>New password <input name="password" type="password" autocomplete="new-password" minlength="10" required></label>`, { submit: "Save password" })}
<p><a href="/">Back</a></p>`,
  );
}

export function changePhone(session, { phone = "", error }) {
  return page(
    "Change your phone number",
    `${errorLine(error)}
${form(
  session,
  "/account/phone",
  `<label>New mobile number <input name="phone" type="tel" autocomplete="tel" placeholder="+14155552671" required value="${esc(phone)}"></label>
<p class="hint">We text a code to the new number; it replaces the old one once you enter it.</p>`,
  { submit: "Send a code to the new number" },
)}
<p><a href="/">Back</a></p>`,
  );
}

export function error(text) {
  return page("Something is not right", `${errorLine(text)}<p><a href="/">Start again</a></p>`);
}

/** Only the last digits on the page: the person at the keyboard may not be the number's holder. */
function maskForPage(phone) {
  return phone && phone.length > 4 ? `•••• ${phone.slice(-4)}` : "your phone";
}

// Counts the resend cooldown down from the server's Retry-After and enables the button at zero.
export const COUNTDOWN_JS = `document.querySelectorAll("[data-countdown]").forEach((button) => {
  let seconds = Number(button.dataset.countdown);
  const label = button.form.querySelector("[data-countdown-seconds]");
  const timer = setInterval(() => {
    seconds -= 1;
    if (label) label.textContent = String(Math.max(seconds, 0));
    if (seconds <= 0) {
      clearInterval(timer);
      button.disabled = false;
      label?.parentElement.remove();
    }
  }, 1000);
});
`;

export const STYLE_CSS = `body { font: 16px/1.5 system-ui, sans-serif; margin: 0; background: #f6f7f9; color: #1b1f24; }
main { max-width: 28rem; margin: 2rem auto; padding: 1.5rem; background: #fff; border-radius: 8px; box-shadow: 0 1px 3px #0002; }
.brand a { font-weight: 700; color: inherit; text-decoration: none; } .brand small { color: #667; }
label { display: block; margin: 0.75rem 0; } input { display: block; width: 100%; box-sizing: border-box; padding: 0.5rem; font: inherit; }
button, .button { display: inline-block; margin: 0.5rem 0.5rem 0 0; padding: 0.5rem 1rem; font: inherit; border: 0; border-radius: 6px; background: #2557d6; color: #fff; text-decoration: none; cursor: pointer; }
button:disabled { background: #99a; cursor: not-allowed; } .secondary button, .button.secondary { background: #e4e7ee; color: #1b1f24; }
form.inline { display: inline; } .hint { color: #556; font-size: 0.9rem; }
.notice { padding: 0.75rem; border-radius: 6px; background: #e8f1ff; } .notice.error { background: #fdecea; }
`;

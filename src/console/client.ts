// The console's browser script, served as /console/console.js. Plain ES2020, no build step, no
// dependencies. Every action is an admin API call (the same ones scripts make); text from
// responses is written with textContent and SVG is built node by node, never parsed as markup.
// The admin token lives in memory and in this tab's sessionStorage only: never a URL, cookie or
// localStorage, so it goes when the tab closes.
export const CONSOLE_JS = String.raw`"use strict";
(function () {
  var $ = function (id) { return document.getElementById(id); };
  var app = $("app");
  var TOKEN_KEY = "edge-verify.console.adminToken";
  var SERVICE_KEY = "edge-verify.console.service";
  var SVG = "http://www.w3.org/2000/svg";
  var LOCALES = app.dataset.locales.split(",");
  var RULES = app.dataset.rules.split(",");

  var token = sessionStorage.getItem(TOKEN_KEY) || "";
  var services = [];
  var service = null;        // the selected service (admin API view)
  var tab = "insights";
  var lastInsights = null;
  var previewSeq = 0;
  var previewTimer = null;

  function notice(text, tone) {
    var el = $("notice");
    el.textContent = text || "";
    el.dataset.tone = tone || "info";
  }

  // One place that calls the admin API; a 401 signs out.
  async function api(method, path, body) {
    var init = { method: method, headers: { authorization: "Bearer " + token } };
    if (body !== undefined) {
      init.headers["content-type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    var response;
    try {
      response = await fetch(path, init);
    } catch (error) {
      notice("Could not reach the Worker.", "bad");
      throw error;
    }
    var data = null;
    if (response.status !== 204) {
      try { data = await response.json(); } catch (ignored) { data = null; }
    }
    if (response.status === 401) {
      signOut("The admin token was refused. Sign in again.");
      throw new Error("unauthenticated");
    }
    if (!response.ok) {
      var message = (data && data.message) || ("HTTP " + response.status);
      notice(message, "bad");
      var failure = new Error(message);
      failure.status = response.status;
      failure.data = data;
      throw failure;
    }
    return data;
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    for (var name in attrs || {}) {
      if (name === "text") node.textContent = attrs[name];
      else if (name === "className") node.className = attrs[name];
      else node.setAttribute(name, attrs[name]);
    }
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }

  function svg(tag, attrs, text) {
    var node = document.createElementNS(SVG, tag);
    for (var name in attrs || {}) node.setAttribute(name, String(attrs[name]));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
  function when(iso) { return iso ? new Date(iso).toLocaleString() : "—"; }
  function percent(x) { return x === null || x === undefined ? "—" : Math.round(x * 100) + "%"; }
  function seconds(s) { return s === null || s === undefined ? "—" : s < 60 ? s + " s" : Math.floor(s / 60) + " min " + (s % 60) + " s"; }
  function svcPath(suffix) { return "/v1/services/" + encodeURIComponent(service.id) + (suffix || ""); }

  // ---- sign in / out ---------------------------------------------------------------------------
  function signOut(message) {
    token = "";
    sessionStorage.removeItem(TOKEN_KEY);
    service = null;
    $("workspace").hidden = true;
    $("signin").hidden = false;
    $("sign-out").hidden = true;
    hideSecret();
    notice(message || "Signed out.", message ? "bad" : "info");
    $("admin-token").focus();
  }

  async function enter() {
    var data = await api("GET", "/v1/services");
    sessionStorage.setItem(TOKEN_KEY, token);
    $("admin-token").value = "";
    $("signin").hidden = true;
    $("workspace").hidden = false;
    $("sign-out").hidden = false;
    services = data.services;
    renderServices(sessionStorage.getItem(SERVICE_KEY));
  }

  $("signin-form").addEventListener("submit", function (event) {
    event.preventDefault();
    token = $("admin-token").value.trim();
    notice("");
    enter().then(function () { $("service").focus(); }).catch(function () {});
  });
  $("sign-out").addEventListener("click", function () { signOut(); });

  // ---- services ----------------------------------------------------------------------------------
  function renderServices(selectId) {
    var select = $("service");
    clear(select);
    services.forEach(function (s) {
      select.appendChild(el("option", { value: s.id, text: s.friendlyName + (s.builtIn ? " (built-in)" : "") }));
    });
    var chosen = services.find(function (s) { return s.id === selectId; }) || services[0];
    if (chosen) select.value = chosen.id;
    selectService(chosen ? chosen.id : null);
  }

  function selectService(id) {
    service = services.find(function (s) { return s.id === id; }) || null;
    hideSecret();
    if (!service) return;
    sessionStorage.setItem(SERVICE_KEY, service.id);
    $("service-facts").textContent = "Id " + service.id + " · created " + when(service.createTime);
    $("service-name").value = service.friendlyName;
    $("delete-service").hidden = service.builtIn;
    $("confirm-delete").hidden = true;
    fillTemplateLocales();
    fillRules();
    showTab(tab);
  }

  $("service").addEventListener("change", function () { selectService($("service").value); });

  $("create-service-form").addEventListener("submit", async function (event) {
    event.preventDefault();
    var created = await api("POST", "/v1/services", { friendlyName: $("new-service-name").value.trim() });
    $("new-service-name").value = "";
    services.push(created);
    renderServices(created.id);
    notice("Service " + created.friendlyName + " created.", "good");
  });

  function replaceService(updated) {
    services = services.map(function (s) { return s.id === updated.id ? updated : s; });
    var keepTab = tab;
    renderServices(updated.id);
    tab = keepTab;
  }

  $("rename-form").addEventListener("submit", async function (event) {
    event.preventDefault();
    var updated = await api("PATCH", svcPath(), { friendlyName: $("service-name").value.trim() });
    replaceService(updated);
    notice("Renamed to " + updated.friendlyName + ".", "good");
  });

  $("delete-service").addEventListener("click", function () {
    $("confirm-delete").hidden = false;
    $("confirm-delete").focus();
  });
  $("confirm-delete").addEventListener("click", async function () {
    var gone = service;
    await api("DELETE", svcPath());
    services = services.filter(function (s) { return s.id !== gone.id; });
    renderServices(null);
    notice("Service " + gone.friendlyName + " deleted; its keys no longer work.", "good");
  });

  // ---- tabs --------------------------------------------------------------------------------------
  var LOADERS = {
    insights: function () { return loadInsights(); },
    verifications: function () { return loadVerifications(); },
    keys: function () { return loadKeys(); },
    templates: function () { return loadTemplate(); },
    rules: function () { return loadLists(); },
    settings: function () { return Promise.resolve(); },
  };

  function showTab(name) {
    tab = name;
    document.querySelectorAll("#tabs button").forEach(function (button) {
      var on = button.dataset.tab === name;
      button.setAttribute("aria-pressed", on ? "true" : "false");
      $("panel-" + button.dataset.tab).hidden = !on;
    });
    if (service) LOADERS[name]().catch(function () {});
  }

  document.querySelectorAll("#tabs button").forEach(function (button) {
    button.addEventListener("click", function () { showTab(button.dataset.tab); });
  });

  // ---- API keys ----------------------------------------------------------------------------------
  function hideSecret() {
    $("new-key").hidden = true;
    $("new-key-secret").value = "";
    $("copy-key").textContent = "Copy";
  }

  async function loadKeys() {
    var data = await api("GET", svcPath("/keys"));
    var body = $("keys").tBodies[0];
    clear(body);
    if (data.keys.length === 0) body.appendChild(el("tr", {}, [el("td", { colspan: "6", text: "No keys yet." })]));
    data.keys.forEach(function (key) {
      var revoke = null;
      if (!key.revokeTime) {
        revoke = el("button", { type: "button", className: "secondary small", text: "Revoke", "aria-label": "Revoke key " + (key.name || key.maskedKey) });
        revoke.addEventListener("click", async function () {
          if (revoke.dataset.armed !== "yes") {
            revoke.dataset.armed = "yes";
            revoke.textContent = "Confirm revoke";
            revoke.setAttribute("aria-label", "Confirm: revoke key " + (key.name || key.maskedKey));
            revoke.className = "danger-button small";
            return;
          }
          await api("DELETE", svcPath("/keys/" + encodeURIComponent(key.id)));
          notice("Key " + (key.name || key.maskedKey) + " revoked.", "good");
          await loadKeys();
        });
      }
      body.appendChild(el("tr", { "data-key": key.id }, [
        el("td", { text: key.name || "—" }),
        el("td", {}, [el("code", { text: key.maskedKey })]),
        el("td", { text: when(key.createTime) }),
        el("td", { text: when(key.lastUsedTime) }),
        el("td", { className: key.revokeTime ? "state-bad" : "state-good", text: key.revokeTime ? "revoked " + when(key.revokeTime) : "active" }),
        el("td", {}, [revoke]),
      ]));
    });
  }

  $("create-key-form").addEventListener("submit", async function (event) {
    event.preventDefault();
    var created = await api("POST", svcPath("/keys"), { name: $("key-name").value.trim() });
    $("key-name").value = "";
    $("new-key-secret").value = created.secret;
    $("new-key").hidden = false;
    $("new-key-secret").focus();
    $("new-key-secret").select();
    await loadKeys();
  });

  $("copy-key").addEventListener("click", async function () {
    var input = $("new-key-secret");
    try {
      await navigator.clipboard.writeText(input.value);
    } catch (ignored) {
      input.select();
      document.execCommand("copy");
    }
    $("copy-key").textContent = "Copied";
  });
  $("dismiss-key").addEventListener("click", function () { hideSecret(); $("key-name").focus(); });

  // ---- templates ---------------------------------------------------------------------------------
  function customTemplates() { return (service.settings && service.settings.templates) || {}; }

  function fillTemplateLocales() {
    var select = $("template-locale");
    var current = select.value || "en";
    clear(select);
    var all = LOCALES.concat(Object.keys(customTemplates()).filter(function (l) { return LOCALES.indexOf(l) < 0; })).sort();
    all.forEach(function (locale) {
      select.appendChild(el("option", { value: locale, text: locale + (customTemplates()[locale] ? " (custom)" : "") }));
    });
    select.value = all.indexOf(current) >= 0 ? current : "en";
  }

  async function loadTemplate() {
    var locale = $("template-locale").value;
    var custom = customTemplates()[locale];
    if (custom !== undefined) $("template-text").value = custom;
    var result = await preview(custom === undefined ? null : custom);
    // Null when the operator typed meanwhile: their text wins over the built-in one.
    if (result && custom === undefined) $("template-text").value = result.template;
  }

  async function preview(template) {
    var seq = ++previewSeq;
    var result = await api("POST", svcPath("/template-preview"), { locale: $("template-locale").value, template: template });
    if (seq !== previewSeq) return null; // a newer keystroke's preview is on its way
    var body = $("preview-body");
    body.textContent = result.body || "(nothing to send)";
    body.dir = result.direction;
    var facts = result.encoding
      ? result.encoding + " · " + result.segments + " segment" + (result.segments === 1 ? "" : "s") + " · " + result.units + " " +
        (result.encoding === "GSM-7" ? "septets" : "UTF-16 units") + " (one segment holds " + (result.encoding === "GSM-7" ? 160 : 70) + ")"
      : "";
    if (result.worstCase) {
      facts += ". Worst case with the costliest 30-character name: " + result.worstCase.segments + " segment" + (result.worstCase.segments === 1 ? "" : "s") + ".";
    }
    $("preview-facts").textContent = facts;
    $("preview").dataset.encoding = result.encoding || "none";
    var error = $("preview-error");
    error.hidden = !result.error;
    error.textContent = result.error ? "Saving would be refused: " + result.error.message : "";
    $("save-template").disabled = !!result.error;
    return result;
  }

  $("template-locale").addEventListener("change", function () { loadTemplate().catch(function () {}); });
  $("template-text").addEventListener("input", function () {
    previewSeq++; // whatever preview is in flight is for older text
    clearTimeout(previewTimer);
    previewTimer = setTimeout(function () { preview($("template-text").value).catch(function () {}); }, 150);
  });

  async function saveTemplates(templates) {
    var updated = await api("PATCH", svcPath(), { templates: Object.keys(templates).length ? templates : null });
    replaceService(updated);
  }

  $("template-form").addEventListener("submit", async function (event) {
    event.preventDefault();
    var locale = $("template-locale").value;
    var templates = Object.assign({}, customTemplates());
    templates[locale] = $("template-text").value;
    await saveTemplates(templates);
    notice("Template for " + locale + " saved.", "good");
  });
  $("reset-template").addEventListener("click", async function () {
    var locale = $("template-locale").value;
    var templates = Object.assign({}, customTemplates());
    delete templates[locale];
    await saveTemplates(templates);
    notice("Template for " + locale + " is the built-in text again.", "good");
  });

  // ---- rules and lists ---------------------------------------------------------------------------
  function fillRules() {
    var box = $("rule-modes");
    clear(box);
    var modes = (service.settings && service.settings.ruleModes) || {};
    RULES.forEach(function (rule) {
      var select = el("select", { id: "rule-" + rule, "data-rule": rule }, [
        el("option", { value: "", text: "default" }),
        el("option", { value: "enforce", text: "enforce" }),
        el("option", { value: "monitor", text: "monitor" }),
        el("option", { value: "off", text: "off" }),
      ]);
      select.value = modes[rule] || "";
      box.appendChild(el("div", {}, [el("label", { for: "rule-" + rule, text: rule.replace(/_/g, " ") }), select]));
    });
    var limits = (service.settings && service.settings.limits) || {};
    document.querySelectorAll("[data-limit]").forEach(function (input) {
      input.value = limits[input.dataset.limit] === undefined ? "" : String(limits[input.dataset.limit]);
    });
  }

  $("rules-form").addEventListener("submit", async function (event) {
    event.preventDefault();
    var modes = {};
    document.querySelectorAll("[data-rule]").forEach(function (select) { if (select.value) modes[select.dataset.rule] = select.value; });
    var limits = {};
    document.querySelectorAll("[data-limit]").forEach(function (input) { if (input.value !== "") limits[input.dataset.limit] = Number(input.value); });
    var updated = await api("PATCH", svcPath(), {
      ruleModes: Object.keys(modes).length ? modes : null,
      limits: Object.keys(limits).length ? limits : null,
    });
    replaceService(updated);
    notice("Rules saved.", "good");
  });

  async function loadLists() {
    var results = await Promise.all(["deny", "allow"].map(function (list) { return api("GET", svcPath("/lists/" + list + "?pageSize=200")); }));
    var body = $("lists").tBodies[0];
    clear(body);
    var entries = results[0].entries.concat(results[1].entries);
    if (entries.length === 0) body.appendChild(el("tr", {}, [el("td", { colspan: "5", text: "Both lists are empty." })]));
    entries.forEach(function (entry) {
      var remove = el("button", { type: "button", className: "secondary small", text: "Remove", "aria-label": "Remove " + entry.phoneNumber + " from the " + entry.list + " list" });
      remove.addEventListener("click", async function () {
        await api("DELETE", svcPath("/lists/" + entry.list + "/" + encodeURIComponent(entry.phoneNumber)));
        notice(entry.phoneNumber + " removed from the " + entry.list + " list.", "good");
        await loadLists();
      });
      body.appendChild(el("tr", {}, [
        // Entries made from delivery reports say so, with the reason (unsubscribed, deactivated, undeliverable).
        el("td", { text: entry.reason ? entry.list + " · " + entry.reason + " (delivery reports)" : entry.list }),
        el("td", { text: entry.phoneNumber }),
        el("td", { text: entry.note || "—" }),
        el("td", { text: when(entry.createTime) }),
        el("td", {}, [remove]),
      ]));
    });
  }

  $("list-form").addEventListener("submit", async function (event) {
    event.preventDefault();
    var list = $("list-kind").value;
    var entry = await api("PUT", svcPath("/lists/" + list + "/" + encodeURIComponent($("list-number").value.trim())), { note: $("list-note").value });
    $("list-number").value = "";
    $("list-note").value = "";
    notice(entry.phoneNumber + " is on the " + list + " list.", "good");
    await loadLists();
  });

  // ---- recent verifications ----------------------------------------------------------------------
  async function loadVerifications() {
    var query = new URLSearchParams();
    if ($("filter-status").value) query.set("status", $("filter-status").value);
    if ($("filter-country").value.trim()) query.set("country", $("filter-country").value.trim().toUpperCase());
    var data = await api("GET", svcPath("/verifications?" + query.toString()));
    var body = $("verifications").tBodies[0];
    clear(body);
    if (data.verifications.length === 0) body.appendChild(el("tr", {}, [el("td", { colspan: "7", text: "No verifications match." })]));
    data.verifications.forEach(function (v) {
      body.appendChild(el("tr", {}, [
        el("td", {}, [el("code", { text: v.maskedTo })]),
        el("td", { text: v.country }),
        el("td", {}, [el("span", { className: "badge", "data-status": v.status, text: v.status })]),
        el("td", { text: v.delivery || "—" }),
        el("td", { text: v.provider || "—" }),
        el("td", { text: v.sendAttempts + " sent · " + v.checkAttempts + " wrong" }),
        el("td", { text: when(v.updateTime) }),
      ]));
    });
  }

  $("filter-form").addEventListener("submit", function (event) {
    event.preventDefault();
    loadVerifications().catch(function () {});
  });

  // ---- insights: inline SVG charts ---------------------------------------------------------------
  async function loadInsights() {
    lastInsights = await api("GET", svcPath("/insights?days=" + $("days").value));
    drawInsights();
  }
  $("days").addEventListener("change", function () { loadInsights().catch(function () {}); });
  $("refresh-insights").addEventListener("click", function () { loadInsights().catch(function () {}); });

  function drawInsights() {
    var r = lastInsights;
    if (!r) return;
    var asked = Number($("days").value);
    $("period-note").textContent = r.days.length < asked
      ? "Showing " + r.days.length + " days: the deployment keeps " + r.days.length + " (RETENTION_DAYS)."
      : "";
    var totals = $("totals");
    clear(totals);
    [
      ["Started", String(r.totals.started)],
      ["Approved", String(r.totals.approved)],
      ["Conversion", percent(r.totals.conversion)],
      ["Median time to approve", seconds(r.totals.medianSecondsToApprove)],
      ["SMS sent", String(r.totals.sent)],
      ["Blocked by rules", String(r.totals.blocked)],
    ].forEach(function (pair) {
      totals.appendChild(el("div", { className: "total" }, [el("dt", { text: pair[0] }), el("dd", { text: pair[1] })]));
    });
    columns($("chart-daily"), "Started and approved per day", r.byDay, [
      { key: "started", name: "started", cls: "s1" },
      { key: "approved", name: "approved", cls: "s2" },
    ], function (d) { return d.started ? percent(d.conversion) : ""; });
    columns($("chart-median"), "Median time to approval per day (seconds)", r.byDay, [
      { key: "medianSecondsToApprove", name: "median seconds", cls: "s3" },
    ], function (d) { return d.medianSecondsToApprove === null ? "" : d.medianSecondsToApprove + " s"; });
    bars($("chart-country"), "Conversion by country (approved / started)", r.byCountry.slice(0, 12).map(function (c) {
      return { label: c.country, value: c.started, part: c.approved, text: c.approved + "/" + c.started + " · " + percent(c.conversion) };
    }), "s1", "s2");
    bars($("chart-provider"), "SMS sent per provider", r.byProvider.map(function (p) {
      return { label: p.provider, value: p.sent + p.failed, part: p.sent, text: p.sent + " sent" + (p.failed ? " · " + p.failed + " failed" : "") + (p.delivered ? " · " + p.delivered + " delivered" : "") };
    }), "s4", "s3");
    bars($("chart-rules"), "Blocks per rule (and monitor-mode hits)", r.byRule.map(function (b) {
      return { label: b.rule.replace(/_/g, " "), value: b.blocked + b.flagged, part: b.blocked, text: b.blocked + " blocked" + (b.flagged ? " · " + b.flagged + " flagged" : "") };
    }), "s4", "s5");
    bars($("chart-lookups"), "Carrier lookups (paid, and answered from the cache)", r.byLookup.map(function (l) {
      return { label: l.source, value: l.fetched + l.cached + l.failed, part: l.fetched, text: l.fetched + " paid · " + l.cached + " cached" + (l.failed ? " · " + l.failed + " failed" : "") };
    }), "s1", "s2");
    var blocked = $("blocked-scopes").tBodies[0];
    clear(blocked);
    if (r.blockedScopes.length === 0) blocked.appendChild(el("tr", {}, [el("td", { colspan: "5", text: "No scope is blocked now." })]));
    r.blockedScopes.forEach(function (b) {
      blocked.appendChild(el("tr", {}, [
        el("td", { text: b.scope }),
        el("td", { text: b.mode === "enforce" ? "blocked" : "monitor (would block)" }),
        el("td", { text: b.starts + " (minimum " + b.minStarts + ")" }),
        el("td", { text: b.approvals + " · " + percent(b.starts ? b.approvals / b.starts : null) }),
        el("td", { text: when(new Date(b.blockedUntil).toISOString()) }),
      ]));
    });
  }

  function frame(figure, title, height) {
    clear(figure);
    var caption = el("figcaption", { text: title });
    caption.id = figure.id + "-title";
    figure.appendChild(caption);
    var width = Math.max(260, Math.floor(figure.clientWidth) || 300);
    var root = svg("svg", { width: width, height: height, viewBox: "0 0 " + width + " " + height, role: "img", "aria-labelledby": caption.id });
    root.appendChild(svg("title", {}, title));
    figure.appendChild(root);
    return { root: root, width: width };
  }

  function empty(figure, title) {
    clear(figure);
    figure.appendChild(el("figcaption", { text: title }));
    figure.appendChild(el("p", { className: "hint", text: "No data in this period yet." }));
  }

  // Grouped columns per day, with a label above each group.
  function columns(figure, title, days, series, label) {
    var max = 0;
    days.forEach(function (d) { series.forEach(function (s) { max = Math.max(max, d[s.key] || 0); }); });
    // A day with a label has data even at 0 (a median of 0 s): it gets a sliver of a bar.
    if (max === 0 && !days.some(function (d) { return label(d) !== ""; })) return empty(figure, title);
    max = Math.max(max, 1);
    var height = 220;
    var f = frame(figure, title, height);
    var left = 8, right = 8, top = 22, bottom = 40;
    var plotW = f.width - left - right, plotH = height - top - bottom;
    var group = plotW / days.length;
    var barW = Math.max(2, Math.min(24, (group - 4) / series.length));
    var every = Math.max(1, Math.ceil(days.length * 44 / plotW));
    f.root.appendChild(svg("line", { x1: left, x2: f.width - right, y1: top + plotH, y2: top + plotH, class: "axis" }));
    days.forEach(function (d, i) {
      var x0 = left + i * group + (group - barW * series.length) / 2;
      series.forEach(function (s, j) {
        var v = d[s.key] || 0;
        var h = Math.max(label(d) ? 2 : 0, Math.round(v / max * plotH));
        var rect = svg("rect", { x: x0 + j * barW, y: top + plotH - h, width: Math.max(1, barW - 1), height: h, class: "bar " + s.cls });
        rect.appendChild(svg("title", {}, d.day + " · " + s.name + ": " + v));
        f.root.appendChild(rect);
      });
      var text = label(d);
      if (text && i % every === 0) {
        var top0 = Math.min.apply(null, series.map(function (s) { return top + plotH - Math.max(2, Math.round((d[s.key] || 0) / max * plotH)); }));
        f.root.appendChild(svg("text", { x: left + i * group + group / 2, y: Math.max(12, top0 - 5), class: "value", "text-anchor": "middle" }, text));
      }
      if (i % every === 0) f.root.appendChild(svg("text", { x: left + i * group + group / 2, y: height - 24, class: "tick", "text-anchor": "middle" }, d.day.slice(5)));
    });
    var lx = left;
    series.forEach(function (s) {
      f.root.appendChild(svg("rect", { x: lx, y: height - 13, width: 10, height: 10, class: "bar " + s.cls }));
      f.root.appendChild(svg("text", { x: lx + 14, y: height - 4, class: "tick" }, s.name));
      lx += 24 + s.name.length * 7;
    });
  }

  // Horizontal bars: the whole (value) and the part of it that matters (part), labelled in text.
  function bars(figure, title, rows, wholeCls, partCls) {
    if (rows.length === 0 || rows.every(function (r) { return r.value === 0; })) return empty(figure, title);
    var rowH = 44;
    var height = rows.length * rowH + 4;
    var f = frame(figure, title, height);
    var max = Math.max.apply(null, rows.map(function (r) { return r.value; }));
    rows.forEach(function (r, i) {
      var y = 2 + i * rowH;
      // Label and figures on one line above the bar: nothing is cut off at 360 px.
      f.root.appendChild(svg("text", { x: 0, y: y + 14, class: "label" }, r.label));
      f.root.appendChild(svg("text", { x: f.width, y: y + 14, class: "value", "text-anchor": "end" }, r.text));
      var whole = Math.max(1, Math.round(r.value / max * f.width));
      var part = Math.round(r.part / max * f.width);
      f.root.appendChild(svg("rect", { x: 0, y: y + 20, width: whole, height: 16, class: "bar " + wholeCls }));
      if (part > 0) f.root.appendChild(svg("rect", { x: 0, y: y + 20, width: part, height: 16, class: "bar " + partCls }));
    });
  }

  var resizeTimer = null;
  window.addEventListener("resize", function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(drawInsights, 100);
  });

  // ---- start -------------------------------------------------------------------------------------
  if (token) {
    enter().catch(function () {});
  } else {
    $("admin-token").focus();
  }
})();
`;

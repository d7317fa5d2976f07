// Keyboard review for the queue and the comment page. Everything also works without JavaScript
// (plain forms); this only adds keys and acts without a page load.
(function () {
  "use strict";
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const toast = (text) => { const t = document.getElementById("toast"); if (t) t.textContent = text; };
  const rows = () => Array.from(document.querySelectorAll("[data-row]"));
  let current = 0;

  function focusRow(i) {
    const all = rows();
    if (!all.length) return;
    current = Math.max(0, Math.min(i, all.length - 1));
    all.forEach((r, j) => r.classList.toggle("current", j === current));
    all[current].scrollIntoView({ block: "nearest" });
  }

  async function post(url, fields) {
    const body = new URLSearchParams(fields);
    const response = await fetch(url, {
      method: "POST", body, credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf, "Accept": "application/json" },
    });
    const data = await response.json().catch(() => ({ error: "The server did not answer." }));
    if (!response.ok) throw new Error(data.error || "Not done.");
    return data;
  }

  const ACTIONS = { a: "approve", s: "reject_spam", t: "reject_toxic" };
  const WORDS = { approve: "approved", reject_spam: "rejected as spam", reject_toxic: "rejected as toxic" };

  async function actOnQueue(action) {
    const selected = Array.from(document.querySelectorAll("[data-row] input[type=checkbox]:checked"));
    try {
      if (selected.length) {
        const fields = [["action", action], ...selected.map((c) => ["ids", c.value])];
        const data = await post(document.getElementById("bulk").getAttribute("action"), fields);
        selected.forEach((c) => { c.checked = false; const r = c.closest("[data-row]"); r.classList.add("done"); r.dataset.state = WORDS[action]; });
        toast(data.message);
      } else {
        const row = rows()[current];
        if (!row) return;
        const data = await post(row.dataset.decide, [["action", action]]);
        row.classList.add("done");
        row.dataset.state = WORDS[action];
        toast(data.message);
        focusRow(current + 1);
      }
    } catch (e) { toast(e.message); }
  }

  async function actOnItem(item, action) {
    try {
      const data = await post(item.dataset.decide, [["action", action]]);
      toast(data.message);
      item.dataset.state = WORDS[action];
      // On to the next comment in the queue's order, or back to the queue at its end.
      setTimeout(() => { window.location.href = item.dataset.nextUrl || item.dataset.backUrl; }, 400);
    } catch (e) { toast(e.message); }
  }

  async function undo() {
    try {
      const data = await post(document.getElementById("undo-form").getAttribute("action"), []);
      toast(data.message);
      setTimeout(() => window.location.reload(), 600);
    } catch (e) { toast(e.message); }
  }

  function toggleHelp(show) {
    const help = document.getElementById("help");
    help.hidden = show === undefined ? !help.hidden : !show;
  }

  document.addEventListener("keydown", (event) => {
    const tag = (event.target.tagName || "").toLowerCase();
    if (["input", "textarea", "select"].includes(tag) || event.ctrlKey || event.metaKey || event.altKey) return;
    const item = document.querySelector("[data-item]");
    const key = event.key;
    if (key === "?") { toggleHelp(); return; }
    if (key === "Escape") { toggleHelp(false); return; }
    if (key === "u") { event.preventDefault(); undo(); return; }
    if (item) {
      if (ACTIONS[key]) { event.preventDefault(); actOnItem(item, ACTIONS[key]); }
      else if (key === "j") { window.location.href = item.dataset.nextUrl || item.dataset.backUrl; }
      else if (key === "k") { window.location.href = item.dataset.prevUrl || item.dataset.backUrl; }
      return;
    }
    if (!rows().length) return;
    if (key === "j") { event.preventDefault(); focusRow(current + 1); }
    else if (key === "k") { event.preventDefault(); focusRow(current - 1); }
    else if (key === "x") { event.preventDefault(); const c = rows()[current].querySelector("input[type=checkbox]"); c.checked = !c.checked; }
    else if (key === "Enter" || key === "o") { event.preventDefault(); window.location.href = rows()[current].dataset.open; }
    else if (ACTIONS[key]) { event.preventDefault(); actOnQueue(ACTIONS[key]); }
  });

  document.addEventListener("click", (event) => {
    if (event.target.closest("[data-help]")) toggleHelp();
    const row = event.target.closest("[data-row]");
    if (row) focusRow(rows().indexOf(row));
  });

  document.addEventListener("DOMContentLoaded", () => focusRow(0));
})();

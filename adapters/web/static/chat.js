// Peerlink local chat: pick a demo person, talk to the engine, use its cards and forms.
// Incoming HTML was escaped by the server (adapters/web/render.py); the person's own
// words are only ever shown with textContent.
"use strict";

(() => {
  const el = (id) => document.getElementById(id);
  const ui = {
    status: el("status"),
    picker: el("picker"),
    people: el("people"),
    peopleEmpty: el("people-empty"),
    chat: el("chat"),
    title: el("chat-title"),
    subtitle: el("chat-subtitle"),
    switchButton: el("switch"),
    messages: el("messages"),
    composer: el("composer"),
    text: el("text"),
    sendError: el("send-error"),
  };
  const PAGE_TITLE = document.title;
  const CONTROLS = "button, select, input, textarea";

  let people = [];
  let me = null;
  let socket = null;
  let generation = 0; // bumped on every switch, so stale sockets stay quiet
  let retryDelay = 0;
  let retryTimer = null;
  const shown = new Set(); // delivery keys already on screen; a reconnect replays the backlog

  function setStatus(text) {
    ui.status.textContent = text;
  }

  function newEventId() {
    if (crypto.randomUUID) return crypto.randomUUID(); // only in secure contexts (localhost, https)
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  // People picker -----------------------------------------------------------

  async function loadPeople() {
    try {
      const response = await fetch("/web/people", { headers: { Accept: "application/json" } });
      if (!response.ok) throw new Error(String(response.status));
      people = (await response.json()).people || [];
    } catch {
      setStatus("Could not load the demo people. Is the server running?");
      return;
    }
    renderPeople();
    route();
  }

  function renderPeople() {
    ui.people.replaceChildren(...people.map(personItem));
    ui.peopleEmpty.hidden = people.length > 0;
  }

  function personItem(person) {
    const item = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "pl-person";
    const name = document.createElement("span");
    name.className = "pl-person-name";
    name.textContent = person.name || person.email;
    const detail = document.createElement("span");
    detail.className = "pl-person-detail";
    detail.textContent = describe(person);
    button.append(name, detail);
    button.addEventListener("click", () => {
      location.hash = "as=" + encodeURIComponent(person.email);
    });
    item.append(button);
    return item;
  }

  function describe(person) {
    return [person.role, person.department].filter(Boolean).join(" · ");
  }

  function hashEmail() {
    return (new URLSearchParams(location.hash.slice(1)).get("as") || "").toLowerCase();
  }

  function route() {
    const email = hashEmail();
    const person = people.find((p) => p.email.toLowerCase() === email);
    if (person) openChat(person);
    else closeChat();
  }

  // Chat pane ---------------------------------------------------------------

  function openChat(person) {
    if (me && me.email === person.email) return;
    disconnect();
    me = person;
    shown.clear();
    ui.messages.replaceChildren();
    hideError();
    ui.title.textContent = person.name || person.email;
    ui.subtitle.textContent = [describe(person), person.email].filter(Boolean).join(" · ");
    document.title = `${person.name || person.email} — ${PAGE_TITLE}`;
    ui.picker.hidden = true;
    ui.chat.hidden = false;
    ui.text.focus();
    connect();
  }

  function closeChat() {
    const wasOpen = me !== null;
    disconnect();
    me = null;
    ui.chat.hidden = true;
    ui.picker.hidden = false;
    document.title = PAGE_TITLE;
    setStatus("");
    const first = ui.people.querySelector("button");
    if (wasOpen && first) first.focus();
  }

  function appendMessage(item) {
    ui.messages.append(item);
    ui.messages.scrollTop = ui.messages.scrollHeight;
  }

  function messageItem(direction, speaker) {
    const item = document.createElement("li");
    item.className = `pl-msg pl-${direction}`;
    const who = document.createElement("span");
    who.className = "pl-visually-hidden";
    who.textContent = `${speaker}: `;
    const bubble = document.createElement("div");
    bubble.className = "pl-bubble";
    item.append(who, bubble);
    return [item, bubble];
  }

  function appendIncoming(message) {
    if (shown.has(message.key)) return;
    shown.add(message.key);
    const [item, bubble] = messageItem("in", "Peerlink");
    if (message.priority === 0) item.classList.add("pl-urgent");
    if (message.locale) bubble.lang = message.locale;
    bubble.innerHTML = message.html; // escaped server-side
    appendMessage(item);
  }

  function appendOwn(text, isAction) {
    const [item, bubble] = messageItem("out", "You");
    if (isAction) item.classList.add("pl-echo");
    bubble.textContent = text;
    appendMessage(item);
    return item;
  }

  function markFailed(item) {
    item.classList.add("pl-failed");
    const note = document.createElement("span");
    note.className = "pl-note";
    note.textContent = "Not sent";
    item.append(note);
  }

  function showError(text) {
    ui.sendError.textContent = text;
    ui.sendError.hidden = false;
  }

  function hideError() {
    ui.sendError.hidden = true;
    ui.sendError.textContent = "";
  }

  // Sending -----------------------------------------------------------------

  async function post(body) {
    if (!me) return false;
    hideError();
    const payload = { as: me.email, event_id: newEventId(), ...body };
    try {
      const response = await fetch("/web/send", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify(payload),
      });
      if (response.ok) return true;
      showError(`Not sent: ${await errorReason(response)}.`);
    } catch {
      showError("Not sent: the server cannot be reached.");
    }
    return false;
  }

  async function errorReason(response) {
    try {
      const data = await response.json();
      if (data && typeof data.error === "string") return data.error;
    } catch {
      // not JSON: fall through to the status code
    }
    return `error ${response.status}`;
  }

  async function sendText(event) {
    event.preventDefault();
    const text = ui.text.value;
    if (!text.trim() || !me) return;
    ui.text.value = "";
    // Shown before posting: the engine's reply can arrive before the post returns.
    const echo = appendOwn(text, false);
    if (!(await post({ text }))) {
      markFailed(echo);
      if (!ui.text.value) ui.text.value = text;
    }
  }

  function onComposerKey(event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      ui.composer.requestSubmit();
    }
  }

  // Cards and forms -----------------------------------------------------------

  function setDisabled(card, disabled) {
    for (const control of card.querySelectorAll(CONTROLS)) control.disabled = disabled;
    card.classList.toggle("pl-used", disabled);
  }

  async function useCard(control, body, label) {
    const card = control.closest(".pl-card, .pl-form") || control;
    const echo = appendOwn(label, true);
    setDisabled(card, true);
    ui.text.focus(); // the pressed control is now disabled and would drop focus
    if (!(await post(body))) {
      markFailed(echo);
      setDisabled(card, false);
    }
  }

  function onCardClick(event) {
    const button = event.target.closest("button[data-action]");
    if (!button || button.disabled || !ui.messages.contains(button)) return;
    const body = { action: button.dataset.action, value: button.dataset.value || "" };
    useCard(button, body, button.textContent);
  }

  function onCardChange(event) {
    const select = event.target;
    if (!(select instanceof HTMLSelectElement) || !select.matches("select[data-action]")) return;
    const option = select.selectedOptions[0];
    const body = { action: select.dataset.action, value: select.value };
    useCard(select, body, option ? option.textContent : select.value);
  }

  function onFormSubmit(event) {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.matches("form.pl-form")) return;
    event.preventDefault();
    const values = {};
    for (const [name, value] of new FormData(form)) {
      if (typeof value === "string") values[name] = value;
    }
    const body = { action: form.dataset.action, value: form.dataset.value || "", values };
    const label = event.submitter ? event.submitter.textContent : "Sent";
    useCard(form, body, label);
  }

  // Websocket ---------------------------------------------------------------

  function connect() {
    const mine = ++generation;
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const url = `${scheme}//${location.host}/web/ws?as=${encodeURIComponent(me.email)}`;
    setStatus(retryDelay ? "Reconnecting…" : "Connecting…");
    const ws = new WebSocket(url);
    socket = ws;
    ws.addEventListener("open", () => {
      if (mine !== generation) return;
      retryDelay = 0;
      setStatus("Connected");
    });
    ws.addEventListener("message", (event) => {
      if (mine !== generation) return;
      let data;
      try {
        data = JSON.parse(event.data);
      } catch {
        return;
      }
      if (data && data.type === "message") appendIncoming(data);
    });
    ws.addEventListener("close", () => {
      if (mine !== generation) return;
      socket = null;
      scheduleReconnect();
    });
  }

  function scheduleReconnect() {
    retryDelay = Math.min(retryDelay ? retryDelay * 2 : 500, 15000);
    const wait = retryDelay / 2 + Math.random() * (retryDelay / 2);
    setStatus(`Connection lost. Trying again in ${Math.ceil(wait / 1000)} s…`);
    retryTimer = setTimeout(() => {
      retryTimer = null;
      if (me) connect();
    }, wait);
  }

  function disconnect() {
    generation++;
    clearTimeout(retryTimer);
    retryTimer = null;
    retryDelay = 0;
    if (socket) socket.close(1000);
    socket = null;
  }

  // Wiring --------------------------------------------------------------------

  ui.switchButton.addEventListener("click", () => {
    location.hash = "";
  });
  ui.composer.addEventListener("submit", sendText);
  ui.text.addEventListener("keydown", onComposerKey);
  ui.messages.addEventListener("click", onCardClick);
  ui.messages.addEventListener("change", onCardChange);
  ui.messages.addEventListener("submit", onFormSubmit);
  window.addEventListener("hashchange", route);
  loadPeople();
})();

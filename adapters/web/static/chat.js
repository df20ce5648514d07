// Peerlink local chat: pick a demo person, talk to the engine, use its cards and forms.
// Incoming HTML was escaped by the server (adapters/web/render.py); the person's own
// words are only ever shown with textContent. The page's own words come in English and
// French (STRINGS below); the engine's messages arrive already in the person's language.
"use strict";

(() => {
  // Interface text ------------------------------------------------------------

  const NBSP = "\u00a0"; // before French "?", ":" so they never start a line

  const STRINGS = {
    en: {
      title: "Peerlink local chat",
      demoOnly: "— demo only",
      language: "Language",
      pickerTitle: "Who are you today?",
      pickerHint: "Pick a demo person. Each browser tab can be someone different.",
      emptyBefore: "No demo people yet. Run",
      emptyAfter: ", then reload.",
      switchPerson: "Switch person",
      conversation: "Conversation",
      messageLabel: "Message",
      messagePlaceholder: "Write a message… (Enter sends, Shift+Enter for a new line)",
      send: "Send",
      notSent: "Not sent",
      notSentBecause: "Not sent: {reason}.",
      unreachable: "the server cannot be reached",
      errorStatus: "error {status}",
      you: "You",
      bot: "Peerlink",
      sent: "Sent",
      loadFailed: "Could not load the demo people. Is the server running?",
      connecting: "Connecting…",
      reconnecting: "Reconnecting…",
      connected: "Connected",
      connectionLost: "Connection lost. Trying again in {seconds} s…",
      reasons: {},
      roles: {},
    },
    fr: {
      title: "Chat local Peerlink",
      demoOnly: "— démo seulement",
      language: "Langue",
      pickerTitle: `Qui êtes-vous aujourd'hui${NBSP}?`,
      pickerHint: "Choisissez une personne de démonstration. Chaque onglet peut être une "
        + "personne différente.",
      emptyBefore: "Aucune personne de démonstration pour l'instant. Lancez",
      emptyAfter: ", puis rechargez la page.",
      switchPerson: "Changer de personne",
      conversation: "Conversation",
      messageLabel: "Message",
      messagePlaceholder: "Écrivez un message… (Entrée pour envoyer, Maj+Entrée pour aller "
        + "à la ligne)",
      send: "Envoyer",
      notSent: "Non envoyé",
      notSentBecause: `Non envoyé${NBSP}: {reason}.`,
      unreachable: "le serveur est injoignable",
      errorStatus: "erreur {status}",
      you: "Vous",
      bot: "Peerlink",
      sent: "Envoyé",
      loadFailed: `Impossible de charger les personnes de démonstration. Le serveur est-il `
        + `lancé${NBSP}?`,
      connecting: "Connexion…",
      reconnecting: "Reconnexion…",
      connected: "Connecté",
      connectionLost: `Connexion perdue. Nouvel essai dans {seconds}${NBSP}s…`,
      // The server's reasons for refusing a send (adapters/web/routes.py) that a person
      // can meet; the others are protocol errors and show as "erreur <status>".
      reasons: {
        "unknown person": "personne inconnue",
        "message too large": "message trop long",
        "cross-origin request refused": "requête d'une autre origine refusée",
        "temporarily unavailable": "service momentanément indisponible",
        "temporarily unavailable, please try again":
          "service momentanément indisponible, veuillez réessayer",
        "something went wrong on our side": "un problème est survenu de notre côté",
      },
      // Role words from /web/people (adapters/app.py), joined there by ", ".
      roles: {
        "employee": "personne employée",
        "program office": "bureau du programme",
        "leader": "gestionnaire",
        "peer support": "soutien par les pairs",
        "manager network": "réseau de gestionnaires",
        "buddy": "jumelage",
      },
    },
  };
  const LANGS = Object.keys(STRINGS);
  const STORAGE_KEY = "peerlink.web.lang";

  function storedLang() {
    try {
      const lang = localStorage.getItem(STORAGE_KEY);
      return LANGS.includes(lang) ? lang : null;
    } catch {
      return null; // storage can be off (privacy settings): fall back to the browser
    }
  }

  function browserLang() {
    const wanted = navigator.languages && navigator.languages.length
      ? navigator.languages : [navigator.language || ""];
    for (const tag of wanted) {
      const primary = String(tag).split("-")[0].toLowerCase();
      if (LANGS.includes(primary)) return primary;
    }
    return "en";
  }

  let lang = storedLang() || browserLang();

  function t(key, params = {}) {
    const text = STRINGS[lang][key] ?? STRINGS.en[key] ?? key;
    return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
  }

  function translateRoles(role) {
    const words = STRINGS[lang].roles;
    return String(role || "").split(", ").map((word) => words[word] || word).join(", ");
  }

  // Elements filled from the engine (.pl-bubble) are never touched.
  function applyStrings(root = document) {
    const outside = (node) => !node.closest(".pl-bubble");
    for (const node of root.querySelectorAll("[data-i18n]")) {
      if (outside(node)) node.textContent = t(node.dataset.i18n);
    }
    for (const node of root.querySelectorAll("[data-i18n-placeholder]")) {
      if (outside(node)) node.placeholder = t(node.dataset.i18nPlaceholder);
    }
    for (const node of root.querySelectorAll("[data-i18n-aria-label]")) {
      if (outside(node)) node.setAttribute("aria-label", t(node.dataset.i18nAriaLabel));
    }
  }

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
  const langButtons = Array.from(document.querySelectorAll("#language button[data-lang]"));
  const CONTROLS = "button, select, input, textarea";

  let people = [];
  let me = null;
  let socket = null;
  let generation = 0; // bumped on every switch, so stale sockets stay quiet
  let retryDelay = 0;
  let retryTimer = null;
  const shown = new Set(); // delivery keys already on screen; a reconnect replays the backlog
  // What the status line and the send error say, kept as keys to redo on a language switch.
  let status = null;
  let sendError = null;

  function setStatus(key, params) {
    status = key ? { key, params } : null;
    ui.status.textContent = status ? t(key, params) : "";
  }

  function setLanguage(next, remember) {
    lang = LANGS.includes(next) ? next : "en";
    if (remember) {
      try {
        localStorage.setItem(STORAGE_KEY, lang);
      } catch {
        // not remembered; this page still switches
      }
    }
    document.documentElement.lang = lang;
    for (const button of langButtons) {
      const active = button.dataset.lang === lang;
      button.setAttribute("aria-pressed", String(active));
      button.classList.toggle("pl-primary", active);
    }
    applyStrings();
    setStatus(status && status.key, status && status.params);
    if (sendError) showError(sendError.reason, sendError.code);
    if (people.length) renderPeople(); // before they load, the empty list must stay hidden
    if (me) showPerson(me);
    else document.title = t("title");
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
      setStatus("loadFailed");
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
    return [translateRoles(person.role), person.department].filter(Boolean).join(" · ");
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
    showPerson(person);
    ui.picker.hidden = true;
    ui.chat.hidden = false;
    ui.text.focus();
    connect();
  }

  function showPerson(person) {
    ui.title.textContent = person.name || person.email;
    ui.subtitle.textContent = [describe(person), person.email].filter(Boolean).join(" · ");
    document.title = `${person.name || person.email} — ${t("title")}`;
  }

  function closeChat() {
    const wasOpen = me !== null;
    disconnect();
    me = null;
    ui.chat.hidden = true;
    ui.picker.hidden = false;
    document.title = t("title");
    setStatus(null);
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
    who.dataset.i18n = speaker;
    who.textContent = t(speaker);
    const bubble = document.createElement("div");
    bubble.className = "pl-bubble";
    item.append(who, bubble);
    return [item, bubble];
  }

  function appendIncoming(message) {
    if (shown.has(message.key)) return;
    shown.add(message.key);
    const [item, bubble] = messageItem("in", "bot");
    if (message.priority === 0) item.classList.add("pl-urgent");
    if (message.locale) bubble.lang = message.locale;
    bubble.innerHTML = message.html; // escaped server-side
    appendMessage(item);
  }

  function appendOwn(text, isAction) {
    const [item, bubble] = messageItem("out", "you");
    if (isAction) item.classList.add("pl-echo");
    bubble.textContent = text;
    appendMessage(item);
    return item;
  }

  function markFailed(item) {
    item.classList.add("pl-failed");
    const note = document.createElement("span");
    note.className = "pl-note";
    note.dataset.i18n = "notSent";
    note.textContent = t("notSent");
    item.append(note);
  }

  // reason: the server's English reason, "" when it gave none, null when it was unreachable.
  function showError(reason, code) {
    sendError = { reason, code };
    let said;
    if (reason === null) said = t("unreachable");
    else if (reason && lang === "en") said = reason;
    else said = STRINGS[lang].reasons[reason] || t("errorStatus", { status: code });
    ui.sendError.textContent = t("notSentBecause", { reason: said });
    ui.sendError.hidden = false;
  }

  function hideError() {
    sendError = null;
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
      showError(await errorReason(response), response.status);
    } catch {
      showError(null, 0);
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
    return "";
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
    const label = event.submitter ? event.submitter.textContent : t("sent");
    useCard(form, body, label);
  }

  // Websocket ---------------------------------------------------------------

  function connect() {
    const mine = ++generation;
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const url = `${scheme}//${location.host}/web/ws?as=${encodeURIComponent(me.email)}`;
    setStatus(retryDelay ? "reconnecting" : "connecting");
    const ws = new WebSocket(url);
    socket = ws;
    ws.addEventListener("open", () => {
      if (mine !== generation) return;
      retryDelay = 0;
      setStatus("connected");
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
    setStatus("connectionLost", { seconds: Math.ceil(wait / 1000) });
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

  for (const button of langButtons) {
    button.addEventListener("click", () => setLanguage(button.dataset.lang, true));
  }
  ui.switchButton.addEventListener("click", () => {
    location.hash = "";
  });
  ui.composer.addEventListener("submit", sendText);
  ui.text.addEventListener("keydown", onComposerKey);
  ui.messages.addEventListener("click", onCardClick);
  ui.messages.addEventListener("change", onCardChange);
  ui.messages.addEventListener("submit", onFormSubmit);
  window.addEventListener("hashchange", route);
  setLanguage(lang, false);
  loadPeople();
})();

// The notes page's own script: log in, list and add notes, refresh, log out.
//
// WRONG WAY (step 12): both tokens are kept in localStorage, as many
// tutorials do. Every script on this page can read localStorage, so every
// script on this page can send the tokens away. Step 13 fixes it.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const saved = (name) => localStorage.getItem(name);

  function keep(tokens) {
    localStorage.setItem("access", tokens.access);
    localStorage.setItem("refresh", tokens.refresh);
  }

  function forget() {
    localStorage.removeItem("access");
    localStorage.removeItem("refresh");
  }

  async function post(path, body) {
    return fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
  }

  // The refresh token buys a new pair (rotation: the old one is used up).
  async function refresh() {
    const response = await post("/api/token/refresh/", { refresh: saved("refresh") });
    if (response.ok) keep(await response.json());
    return response.ok;
  }

  // Call the API with the access token; on a 401, refresh once and retry.
  async function api(path, body) {
    const send = () =>
      fetch(path, {
        method: body === undefined ? "GET" : "POST",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${saved("access")}` },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    let response = await send();
    if (response.status === 401 && (await refresh())) response = await send();
    if (response.status === 401) showLogin("Your session has ended: log in again.");
    return response;
  }

  // Anyone can read a token's claims: it is signed, not encrypted.
  function claims(token) {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(part));
  }

  async function showNotes() {
    const response = await api("/api/notes/");
    if (!response.ok) return;
    $("who").textContent = claims(saved("access")).username;
    const notes = await response.json();
    $("list").replaceChildren(
      ...notes.map((note) => {
        const item = document.createElement("li");
        const title = document.createElement("b");
        title.textContent = note.title; // text, never HTML: a note cannot add a script
        item.append(title, note.body);
        return item;
      }),
    );
    $("login").hidden = true;
    $("notes").hidden = false;
  }

  function showLogin(message) {
    forget();
    $("status").textContent = message;
    $("notes").hidden = true;
    $("login").hidden = false;
  }

  $("login").addEventListener("submit", async (event) => {
    event.preventDefault();
    const response = await post("/api/token/", Object.fromEntries(new FormData(event.target)));
    if (!response.ok) return showLogin("Wrong username or password.");
    keep(await response.json());
    $("status").textContent = "";
    event.target.reset();
    await showNotes();
  });

  $("new-note").addEventListener("submit", async (event) => {
    event.preventDefault();
    const response = await api("/api/notes/", Object.fromEntries(new FormData(event.target)));
    if (response.ok) {
      event.target.reset();
      await showNotes();
    }
  });

  $("logout").addEventListener("click", async () => {
    const response = await post("/api/token/blacklist/", { refresh: saved("refresh") });
    // 401: the session had already ended. Anything else: it may be alive.
    if (response.ok || response.status === 401) showLogin("Logged out.");
    else $("status").textContent = "Logging out failed: try again.";
  });

  // On load: tokens saved by an earlier visit log us straight back in.
  if (saved("refresh")) showNotes();
})();

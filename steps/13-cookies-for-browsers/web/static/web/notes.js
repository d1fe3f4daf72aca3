// The notes page's own script: log in, list and add notes, refresh, log out.
//
// Step 13, the cookie flow. The refresh token lives in an HttpOnly cookie:
// no script on this page can read it, this one included; the browser sends
// it to /api/browser/ by itself. The access token lives only in the `access`
// variable, inside this function: not in storage, a cookie or a global.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  let access = null; // in memory only: gone when the page closes

  // Django's CSRF token, from its cookie (readable on purpose): it proves
  // that a request to the cookie endpoints comes from this page.
  function csrfToken() {
    return document.cookie.match(/(?:^|; )csrftoken=([^;]*)/)?.[1] ?? "";
  }

  async function post(path, body) {
    return fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(body),
    });
  }

  // The cookie buys a new access token (and the browser a new cookie).
  async function refresh() {
    const response = await post("/api/browser/refresh/", {});
    // Only a success replaces the token: the refresh at page load may come
    // back (401, no cookie yet) after the user has already logged in.
    if (response.ok) access = (await response.json()).access;
    return response.ok;
  }

  // Call the API with the access token; on a 401, refresh once and retry.
  async function api(path, body) {
    const send = () =>
      fetch(path, {
        method: body === undefined ? "GET" : "POST",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${access}` },
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
    $("who").textContent = claims(access).username;
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
    access = null;
    $("status").textContent = message;
    $("notes").hidden = true;
    $("login").hidden = false;
  }

  $("login").addEventListener("submit", async (event) => {
    event.preventDefault();
    const response = await post("/api/browser/login/", Object.fromEntries(new FormData(event.target)));
    if (!response.ok) return showLogin("Wrong username or password.");
    access = (await response.json()).access;
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
    const response = await post("/api/browser/logout/", {}); // ends the session, deletes the cookie
    // 401: the session had already ended. Anything else: it may be alive.
    if (response.ok || response.status === 401) showLogin("Logged out.");
    else $("status").textContent = "Logging out failed: try again.";
  });

  // On load: a silent refresh. A live session in the cookie logs us back in.
  refresh().then((ok) => ok && showNotes());
})();

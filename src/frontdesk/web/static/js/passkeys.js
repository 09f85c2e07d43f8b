// Passkeys (WebAuthn): adding one on the security page, and signing in with one at the
// sign-in's second step. The server makes the options and checks the answers
// (web/auth/passkeys.py); this file only moves them between it and the browser.
"use strict";

(function () {
  function toBytes(text) {
    const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    const padded = base64 + "===".slice((base64.length + 3) % 4);
    return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
  }

  function toText(buffer) {
    const bytes = new Uint8Array(buffer);
    let binary = "";
    bytes.forEach((b) => { binary += String.fromCharCode(b); });
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function csrfToken() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  async function post(url, body) {
    const answer = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
      body: JSON.stringify(body || {}),
    });
    const data = await answer.json().catch(() => ({}));
    if (!answer.ok) {
      const error = new Error(data.error || "");
      error.fromServer = true; // already in the page's language; the browser's are not
      throw error;
    }
    return data;
  }

  function descriptors(list) {
    return (list || []).map((item) => ({ ...item, id: toBytes(item.id) }));
  }

  function creationOptions(options) {
    return {
      ...options,
      challenge: toBytes(options.challenge),
      user: { ...options.user, id: toBytes(options.user.id) },
      excludeCredentials: descriptors(options.excludeCredentials),
    };
  }

  function requestOptions(options) {
    return {
      ...options,
      challenge: toBytes(options.challenge),
      allowCredentials: descriptors(options.allowCredentials),
    };
  }

  function credentialJSON(credential) {
    const response = credential.response;
    const fields = { clientDataJSON: toText(response.clientDataJSON) };
    if (response.attestationObject) {
      fields.attestationObject = toText(response.attestationObject);
      fields.transports = response.getTransports ? response.getTransports() : [];
    }
    if (response.authenticatorData) {
      fields.authenticatorData = toText(response.authenticatorData);
      fields.signature = toText(response.signature);
      if (response.userHandle) fields.userHandle = toText(response.userHandle);
    }
    return {
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      response: fields,
      clientExtensionResults: credential.getClientExtensionResults(),
      authenticatorAttachment: credential.authenticatorAttachment || undefined,
    };
  }

  function showError(box, text) {
    const slot = box.querySelector("[data-passkey-error]");
    if (!slot) return;
    slot.textContent = text;
    slot.hidden = false;
  }

  function supported() {
    return Boolean(window.PublicKeyCredential && navigator.credentials);
  }

  function setUpRegistration(form) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!supported()) return showError(form, form.dataset.unsupportedLabel);
      const name = form.querySelector('input[name="name"]').value;
      try {
        const options = await post("/settings/security/passkeys/options");
        const credential = await navigator.credentials.create({ publicKey: creationOptions(options) });
        const done = await post("/settings/security/passkeys", { name, credential: credentialJSON(credential) });
        window.location.assign(done.next);
      } catch (error) {
        showError(form, (error.fromServer && error.message) || form.dataset.errorLabel);
      }
    });
  }

  function setUpSignIn(box) {
    const start = box.querySelector("[data-passkey-start]");
    start.addEventListener("click", async () => {
      if (!supported()) return showError(box, box.dataset.unsupportedLabel);
      const next = encodeURIComponent(box.dataset.next || "");
      try {
        const options = await post("/login/two-factor/passkey/options");
        const credential = await navigator.credentials.get({ publicKey: requestOptions(options) });
        const done = await post("/login/two-factor/passkey?next=" + next, { credential: credentialJSON(credential) });
        window.location.assign(done.next);
      } catch (error) {
        showError(box, (error.fromServer && error.message) || box.dataset.errorLabel);
      }
    });
  }

  document.querySelectorAll("[data-passkey-register]").forEach(setUpRegistration);
  document.querySelectorAll("[data-passkey-signin]").forEach(setUpSignIn);
})();

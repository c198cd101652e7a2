// Passkey ceremonies (WebAuthn) for the pages that offer them: adding one (/security and the
// required walk-through), signing in with one alone (/login: the button and the user ID
// field's autofill), and one as the second step (/login/verify, /step-up). The server keeps each
// ceremony's state; this file only carries JSON between it and the browser. Pages work without
// it: passkey controls stay hidden and the other ways remain.
(function () {
  "use strict";
  if (!window.PublicKeyCredential || !navigator.credentials) {
    return;
  }

  function b64urlToBytes(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) {
      base64 += "=";
    }
    var raw = atob(base64);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) {
      bytes[i] = raw.charCodeAt(i);
    }
    return bytes.buffer;
  }

  function bytesToB64url(buffer) {
    var bytes = new Uint8Array(buffer);
    var raw = "";
    for (var i = 0; i < bytes.length; i++) {
      raw += String.fromCharCode(bytes[i]);
    }
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  // Older browsers lack the JSON helpers: decode the few binary fields by hand.
  function creationOptions(json) {
    if (PublicKeyCredential.parseCreationOptionsFromJSON) {
      return PublicKeyCredential.parseCreationOptionsFromJSON(json);
    }
    var o = Object.assign({}, json);
    o.challenge = b64urlToBytes(json.challenge);
    o.user = Object.assign({}, json.user, { id: b64urlToBytes(json.user.id) });
    o.excludeCredentials = (json.excludeCredentials || []).map(function (c) {
      return Object.assign({}, c, { id: b64urlToBytes(c.id) });
    });
    return o;
  }

  function requestOptions(json) {
    if (PublicKeyCredential.parseRequestOptionsFromJSON) {
      return PublicKeyCredential.parseRequestOptionsFromJSON(json);
    }
    var o = Object.assign({}, json);
    o.challenge = b64urlToBytes(json.challenge);
    o.allowCredentials = (json.allowCredentials || []).map(function (c) {
      return Object.assign({}, c, { id: b64urlToBytes(c.id) });
    });
    return o;
  }

  function credentialJson(credential) {
    if (credential.toJSON) {
      return credential.toJSON();
    }
    var r = credential.response;
    var response = { clientDataJSON: bytesToB64url(r.clientDataJSON) };
    if (r.attestationObject) {
      response.attestationObject = bytesToB64url(r.attestationObject);
    }
    if (r.authenticatorData) {
      response.authenticatorData = bytesToB64url(r.authenticatorData);
      response.signature = bytesToB64url(r.signature);
      response.userHandle = r.userHandle ? bytesToB64url(r.userHandle) : null;
    }
    return {
      id: credential.id,
      rawId: bytesToB64url(credential.rawId),
      type: credential.type,
      response: response,
      clientExtensionResults: credential.getClientExtensionResults ? credential.getClientExtensionResults() : {},
    };
  }

  function post(url, csrf, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body || {}),
    }).then(function (response) {
      return response.json().then(function (json) {
        if (!response.ok) {
          var message = (json.error && json.error.message) || "That did not work. Please try again.";
          throw new Error(message);
        }
        return json;
      });
    });
  }

  function say(element, text) {
    if (element) {
      element.textContent = text;
      element.hidden = false;
    }
  }

  function friendly(error) {
    if (error && error.name === "NotAllowedError") {
      return "The passkey request was cancelled or timed out.";
    }
    if (error && error.name === "InvalidStateError") {
      return "This device already holds a passkey of yours.";
    }
    return (error && error.message) || "That did not work. Please try again.";
  }

  // Adding a passkey: #add-passkey inside an element with data-options-url and data-finish-url.
  document.querySelectorAll("[data-passkey-add]").forEach(function (box) {
    var button = box.querySelector("#add-passkey");
    var status = box.querySelector("[data-passkey-status]");
    var password = box.querySelector("input[type=password]");
    var name = box.querySelector("[data-passkey-name]");
    box.hidden = false;
    button.addEventListener("click", function () {
      button.disabled = true;
      say(status, "Follow your browser's prompt…");
      post(box.dataset.optionsUrl, box.dataset.csrf, { current_password: password ? password.value : "" })
        .then(function (options) {
          return navigator.credentials.create({ publicKey: creationOptions(options.publicKey) });
        })
        .then(function (credential) {
          return post(box.dataset.finishUrl, box.dataset.csrf, {
            name: name ? name.value : "Passkey",
            credential: credentialJson(credential),
          });
        })
        .then(function (done) {
          window.location.assign(done.redirect || box.dataset.done || "/security?passkey=added");
        })
        .catch(function (error) {
          button.disabled = false;
          say(status, friendly(error));
        });
    });
  });

  // Signing in with a passkey alone: the #passkey-sign-in button and the autofill.
  document.querySelectorAll("[data-passkey-signin]").forEach(function (box) {
    var button = box.querySelector("#passkey-sign-in");
    var status = box.querySelector("[data-passkey-status]");
    var csrf = box.dataset.csrf;
    var abort = null;
    box.hidden = false;

    function signIn(conditional) {
      if (abort) {
        abort.abort();
      }
      abort = window.AbortController ? new AbortController() : null;
      var signal = abort ? abort.signal : undefined;
      return post("/login/passkey/options", csrf, { conditional: conditional })
        .then(function (options) {
          var request = { publicKey: requestOptions(options.publicKey), signal: signal };
          if (conditional) {
            request.mediation = "conditional";
          }
          return navigator.credentials.get(request);
        })
        .then(function (credential) {
          return post("/login/passkey", csrf, { credential: credentialJson(credential) });
        })
        .then(function (done) {
          window.location.assign(done.redirect || "/");
        });
    }

    button.addEventListener("click", function () {
      say(status, "Follow your browser's prompt…");
      signIn(false).catch(function (error) {
        if (error && error.name === "AbortError") {
          return;
        }
        say(status, friendly(error));
      });
    });

    if (PublicKeyCredential.isConditionalMediationAvailable) {
      PublicKeyCredential.isConditionalMediationAvailable().then(function (available) {
        if (available) {
          signIn(true).catch(function () {
            // A cancelled or refused autofill leaves the password form as it was.
          });
        }
      });
    }
  });

  // A passkey as the second step: fills the form's code with the signed assertion and submits.
  document.querySelectorAll("[data-passkey-step]").forEach(function (box) {
    var button = box.querySelector("#use-passkey");
    var status = box.querySelector("[data-passkey-status]");
    var form = box.querySelector("form");
    box.hidden = false;
    button.addEventListener("click", function () {
      button.disabled = true;
      say(status, "Follow your browser's prompt…");
      post(box.dataset.optionsUrl, box.dataset.csrf, {})
        .then(function (options) {
          return navigator.credentials.get({ publicKey: requestOptions(options.publicKey) });
        })
        .then(function (credential) {
          form.querySelector("input[name=code]").value = JSON.stringify(credentialJson(credential));
          form.submit();
        })
        .catch(function (error) {
          button.disabled = false;
          say(status, friendly(error));
        });
    });
  });
})();

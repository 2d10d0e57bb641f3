// After django-otp-webauthn's script has added a passkey, go where the portal says: the
// recovery codes after a first passkey, else back to the list that now shows it.
document.addEventListener("otp_webauthn.register_complete", (event) => {
  const response = event.detail && event.detail.response;
  const next = response && response.redirect_url;
  if (typeof next === "string" && next.startsWith("/") && !next.startsWith("//")) {
    window.location.assign(next);
  } else {
    window.location.reload();
  }
});

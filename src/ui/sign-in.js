// The sign-in form: trades an API key for the page's session cookie (POST /ui/session).
const form = document.getElementById('sign-in');
const error = document.getElementById('error');

form.addEventListener('submit', async (e) => {
  e.preventDefault();
  error.textContent = '';
  const key = /** @type {HTMLInputElement} */ (document.getElementById('key')).value.trim();
  try {
    const res = await fetch('/ui/session', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ key }),
    });
    if (res.ok) return location.assign('/ui');
    const p = await res.json().catch(() => ({}));
    error.textContent = p.detail || p.title || `sign-in failed (${res.status})`;
  } catch (err) {
    error.textContent = `NBO did not answer: ${err.message}`;
  }
});

// The signed-in token and restaurant, kept for this browser tab only (sessionStorage).

const KEY = "hoststand.session";

/** The saved session, {token, restaurantId}, or null. */
export function loadSession() {
  try {
    const saved = JSON.parse(sessionStorage.getItem(KEY) ?? "null");
    return saved?.token && saved?.restaurantId ? saved : null;
  } catch {
    return null;
  }
}

/** Remember the token and restaurant for this tab. */
export function saveSession(session) {
  sessionStorage.setItem(KEY, JSON.stringify({ token: session.token, restaurantId: session.restaurantId }));
}

/** Forget them (sign out). */
export function clearSession() {
  sessionStorage.removeItem(KEY);
}

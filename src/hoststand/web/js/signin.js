// Signing in with a token alone: the restaurant is the one the token belongs to (a
// restaurant's token lists exactly its own); an operator's admin token picks one.

import { Api, ApiError, NetworkError } from "./api.js";
import { byId, h } from "./dom.js";

/** Show the sign-in form, with a message saying why when there is one. */
export function showSignIn(message = "") {
  byId("stand-view").hidden = true;
  byId("signin-view").hidden = false;
  byId("signin-error").textContent = message;
  byId("token").focus();
}

/** Handle the form; onSignedIn({token, restaurantId}) once the token checks out. */
export function wireSignIn(onSignedIn) {
  const form = byId("signin-form");
  const picker = byId("restaurant-picker");
  const select = byId("restaurant");
  const error = byId("signin-error");
  form.elements.token.addEventListener("input", () => {
    picker.hidden = true;
  });
  const finish = (token, restaurantId) => {
    form.reset();
    picker.hidden = true;
    error.textContent = "";
    onSignedIn({ token, restaurantId });
  };
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const token = form.elements.token.value.trim();
    if (!picker.hidden && select.value) return finish(token, select.value);
    error.textContent = "";
    let restaurants;
    try {
      restaurants = (await new Api(token).restaurants()).items;
    } catch (failure) {
      error.textContent = signInRefusal(failure);
      return;
    }
    if (restaurants.length === 1) return finish(token, restaurants[0].id);
    if (restaurants.length === 0) {
      error.textContent = "This token belongs to no restaurant.";
      return;
    }
    select.replaceChildren(...restaurants.map((r) => h("option", { value: r.id }, r.name)));
    picker.hidden = false;
    select.focus();
  });
}

function signInRefusal(failure) {
  if (failure instanceof NetworkError) return "Can't reach hoststand. Check the connection and try again.";
  if (failure instanceof ApiError && failure.status === 401) return "That token is not valid (or it was revoked).";
  if (failure instanceof ApiError && failure.status === 429) return "Too many attempts. Wait a minute, then try again.";
  return `Sign-in failed: ${failure.message}`;
}

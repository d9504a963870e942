// Signing in with a token alone: the restaurant is the one the token belongs to (a
// restaurant's token lists exactly its own); an operator's admin token picks one.

import { Api, ApiError, NetworkError } from "./api.js";
import { byId, h } from "./dom.js";
import { FormError } from "./formerror.js";

let error = null; // the form's error line, once wired: a message about the token goes as it is edited

/** Show the sign-in form, with a message saying why when there is one (a refused token). */
export function showSignIn(message = "") {
  byId("stand-view").hidden = true;
  byId("signin-view").hidden = false;
  error.say({ text: message, fields: ["token"] });
  byId("token").focus();
}

/** Handle the form; onSignedIn({token, restaurantId}) once the token checks out. */
export function wireSignIn(onSignedIn) {
  const form = byId("signin-form");
  const picker = byId("restaurant-picker");
  const select = byId("restaurant");
  error = new FormError(byId("signin-error"), form);
  form.elements.token.addEventListener("input", () => {
    picker.hidden = true;
  });
  const finish = (token, restaurantId) => {
    form.reset();
    picker.hidden = true;
    error.clear();
    onSignedIn({ token, restaurantId });
  };
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const token = form.elements.token.value.trim();
    if (!picker.hidden && select.value) return finish(token, select.value);
    error.clear();
    let restaurants;
    try {
      restaurants = (await new Api(token).restaurants()).items;
    } catch (failure) {
      // An unreachable server or database is not the token's fault: another token does not take it away.
      const aboutToken = failure instanceof ApiError && failure.status < 500;
      error.say({ text: signInRefusal(failure), fields: aboutToken ? ["token"] : [] });
      return;
    }
    if (restaurants.length === 1) return finish(token, restaurants[0].id);
    if (restaurants.length === 0) {
      error.say({ text: "This token belongs to no restaurant.", fields: ["token"] });
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
  if (failure instanceof ApiError && failure.code === "database_unavailable") {
    return "Could not reach the database. Try again in a moment.";
  }
  return `Sign-in failed: ${failure.message}`;
}

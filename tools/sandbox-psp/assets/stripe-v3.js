// The sandbox's stand-in for Stripe.js (https://js.stripe.com/v3/), the part the shop's
// checkout uses: Stripe(publishableKey).initEmbeddedCheckout({ clientSecret }) resolves to an
// object with mount(elementOrSelector) and destroy(). The card form is the sandbox PSP's own
// page in an iframe: card data never touches the shop's page.
(function () {
  "use strict";
  var script = document.currentScript;
  var base = script ? new URL(".", script.src).href.replace(/js\/$/, "") : "/sandbox-psp/";
  function Stripe(publishableKey) {
    if (!/^pk_test_/.test(String(publishableKey || ""))) {
      throw new Error("Stripe(): a test publishable key (pk_test_…) is required by the sandbox");
    }
    return {
      initEmbeddedCheckout: function (options) {
        var secret = String((options && options.clientSecret) || "");
        var session = secret.split("_secret_")[0];
        if (!/^cs_test_[A-Za-z0-9]+$/.test(session)) {
          return Promise.reject(new Error("initEmbeddedCheckout: invalid clientSecret"));
        }
        var frame = null;
        return Promise.resolve({
          mount: function (target) {
            var host = typeof target === "string" ? document.querySelector(target) : target;
            if (!host) throw new Error("mount: no such element");
            frame = document.createElement("iframe");
            frame.src = base + "embedded/" + encodeURIComponent(session) +
              "?client_secret=" + encodeURIComponent(secret);
            frame.title = "Secure payment form (Sandbox PSP)";
            frame.setAttribute("allow", "payment");
            frame.style.cssText = "width:100%;min-height:44rem;border:0";
            host.replaceChildren(frame);
          },
          destroy: function () {
            if (frame) frame.remove();
            frame = null;
          },
        });
      },
    };
  }
  window.Stripe = Stripe;
})();

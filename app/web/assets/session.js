/* A callback answered 401 means the session has ended (idle or absolute expiry, or signed out elsewhere):
   send the browser to the sign-in form, which brings it back to this page afterwards. */
(function () {
  if (!window.fetch) { return; }
  var original = window.fetch.bind(window);
  var leaving = false;
  window.fetch = function (resource, init) {
    return original(resource, init).then(function (response) {
      var url = typeof resource === "string" ? resource : (resource && resource.url) || "";
      if (response.status === 401 && !leaving &&
          (url.indexOf("/_dash-update-component") !== -1 || url.indexOf("/_dash-layout") !== -1 ||
           url.indexOf("/_dash-dependencies") !== -1)) {
        leaving = true;
        var here = window.location.pathname + window.location.search;
        window.location.assign("/login?next=" + encodeURIComponent(here));
      }
      return response;
    });
  };
})();

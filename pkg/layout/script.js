/* LTI Provider: layout and navigation for Moodle pages (layout.js). */
(function (c) {
  "use strict";
  var d = document;
  if (c.css) {
    var l = d.createElement("link");
    l.rel = "stylesheet";
    l.href = c.css;
    l.setAttribute("blocking", "render");
    (d.head || d.documentElement).appendChild(l);
  }
  function ready(f) {
    if (d.readyState !== "loading") { f(); } else { d.addEventListener("DOMContentLoaded", f); }
  }
  function bodyNumber(prefix) {
    var m = (" " + d.body.className + " ").match(new RegExp(" " + prefix + "-(\\d+) "));
    return m ? parseInt(m[1], 10) : 0;
  }
  function addNavLink(link) {
    var menu = d.querySelector('.secondary-navigation [data-region="moredropdown"]');
    if (!menu || !link.url || menu.querySelector("[data-ltiprovider]")) { return; }
    var li = d.createElement("li");
    li.setAttribute("role", "none");
    li.setAttribute("data-ltiprovider", "nav");
    var a = d.createElement("a");
    a.className = "dropdown-item";
    a.setAttribute("role", "menuitem");
    a.setAttribute("tabindex", "-1");
    a.href = link.url;
    a.textContent = link.label;
    li.appendChild(a);
    menu.appendChild(li);
    var more = menu.closest('[data-region="morebutton"]');
    if (more) { more.classList.remove("d-none"); }
  }
  ready(function () {
    if (!d.body) { return; }
    var f = c.force;
    if (f) {
      var path = location.pathname;
      var exempt = /\/(user\/policy\.php|admin\/tool\/policy\/|login\/logout\.php|local\/ltiprovider\/)/.test(path);
      var inside = f.contextid ? bodyNumber("context") === f.contextid : bodyNumber("course") === f.courseid;
      if (!exempt && !inside) { location.replace(f.target); return; }
    }
    var course = bodyNumber("course");
    if (c.nav && course > 1 && window.fetch && d.querySelector(".secondary-navigation")) {
      fetch(c.nav + "?courseid=" + course, { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : {}; })
        .then(addNavLink)
        .catch(function () {});
    }
  });
})

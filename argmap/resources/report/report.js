// argmap report: the views of one offline page, drawn from the JSON block #argmap-data.
// Corpus text only ever becomes DOM text (textContent, createTextNode, attribute values);
// nothing is built with innerHTML. Routes are hashes (#/issue/ID ...), so Back works and a
// link to a view can be shared.
(function () {
  "use strict";
  var DATA = JSON.parse(document.getElementById("argmap-data").textContent);
  var S = DATA.style;
  var main = document.getElementById("main");
  var announce = document.getElementById("announce");
  var quick = document.getElementById("q");

  // --- small DOM helpers ------------------------------------------------------------------
  function el(tag, attrs) {
    var node = document.createElement(tag);
    var key;
    attrs = attrs || {};
    for (key in attrs) {
      if (!Object.prototype.hasOwnProperty.call(attrs, key) || attrs[key] === undefined || attrs[key] === null) continue;
      if (key === "text") node.textContent = attrs[key];
      else if (key === "class") node.className = attrs[key];
      else node.setAttribute(key, attrs[key]);
    }
    for (var i = 2; i < arguments.length; i++) add(node, arguments[i]);
    return node;
  }
  function add(node, child) {
    if (child === undefined || child === null || child === false) return node;
    if (Array.isArray(child)) { child.forEach(function (c) { add(node, c); }); return node; }
    node.appendChild(typeof child === "string" || typeof child === "number" ? document.createTextNode(String(child)) : child);
    return node;
  }
  function plural(n, one, many) { return n + " " + (n === 1 ? one : (many || one + "s")); }
  function enc(s) { return encodeURIComponent(s); }
  function snippet(text) {
    var n = S.snippet;
    if (text.length <= n) return text;
    var cut = text.slice(0, n - 1);
    var sp = cut.lastIndexOf(" ");
    return (sp > n / 2 ? cut.slice(0, sp) : cut) + "\u2026";
  }

  // --- links, chips, badges ---------------------------------------------------------------
  function issueHref(i) { return "#/issue/" + enc(DATA.issues[i].id); }
  function analystHref(a) { return "#/analyst/" + enc(DATA.analysts[a].name); }
  function docHref(d) { return "#/document/" + enc(DATA.documents[d].id); }
  function claimHref(k) { return "#/claim/" + enc(DATA.claims[k].id); }

  function chip(a, asLink) {
    var an = DATA.analysts[a];
    var node = el(asLink === false ? "span" : "a", {"class": "chip border-" + an.border, href: asLink === false ? null : analystHref(a),
      title: an.name, "data-analyst": an.name}, el("span", {"class": "chip-name", text: an.short}));
    node.style.backgroundColor = an.color;
    return node;
  }
  function sideBadge(side, short) {
    var s = S.sides[String(side)];
    var cls = side > 0 ? "back" : side < 0 ? "dispute" : "none";
    return el("span", {"class": "badge side-" + cls, title: s.label},
      el("span", {"class": "sym", "aria-hidden": "true", text: s.symbol}), " " + (short ? s.short : s.label));
  }
  function verdictBadge(v) {
    var s = S.verdicts[v] || S.verdicts.open;
    return el("span", {"class": "badge verdict verdict-" + v, title: s.help},
      el("span", {"class": "sym", "aria-hidden": "true", text: s.symbol}), " " + s.label);
  }
  function relationBadge(kind, score) {
    var s = S.relations[kind];
    return el("span", {"class": "badge rel rel-" + kind},
      el("span", {"class": "sym", "aria-hidden": "true", text: s.symbol}), " " + s.label + " (" + score.toFixed(2) + ")");
  }
  function issueTitle(i) { return "\u201c" + DATA.issues[i].label + "\u201d"; }
  function docLabel(d) { return d < 0 ? "(unknown document)" : DATA.documents[d].title; }

  // One claim as a list item: the quote (a link to where it was said), who said it, where.
  function claimItem(k, opts) {
    opts = opts || {};
    var c = DATA.claims[k];
    var sideCls = c.i < 0 ? "free" : c.side > 0 ? "back" : c.side < 0 ? "dispute" : "none";
    var li = el("li", {"class": "claim side-" + sideCls, "data-claim": c.id});
    var quote = el("a", {"class": "quote", href: claimHref(k), title: "Show where this was said"});
    if (opts.words && opts.words.length) highlight(quote, "\u201c" + c.text + "\u201d", opts.words);
    else quote.textContent = "\u201c" + (opts.short ? snippet(c.text) : c.text) + "\u201d";
    var meta = el("div", {"class": "meta"}, chip(c.a));
    if (c.i >= 0 && DATA.issues[c.i].sided && opts.showSide !== false) add(meta, sideBadge(c.side, true));
    if (c.i >= 0 && DATA.issues[c.i].pivot === k) add(meta, el("span", {"class": "badge pivot", text: S.pivot}));
    add(meta, el("a", {"class": "src", href: claimHref(k)}, docLabel(c.d) + ", \u00b6" + c.p));
    if (c.i >= 0 && opts.showIssue !== false) add(meta, el("a", {"class": "in-issue", href: issueHref(c.i)}, DATA.issues[c.i].id));
    return add(li, [quote, meta]);
  }
  function highlight(node, text, words) {
    var lower = text.toLowerCase();
    var spans = [];
    words.forEach(function (w) {
      var at = lower.indexOf(w);
      while (at >= 0) { spans.push([at, at + w.length]); at = lower.indexOf(w, at + w.length); }
    });
    spans.sort(function (x, y) { return x[0] - y[0]; });
    var pos = 0;
    spans.forEach(function (s) {
      if (s[0] < pos) return;
      add(node, text.slice(pos, s[0]));
      add(node, el("mark", {"class": "hit", text: text.slice(s[0], s[1])}));
      pos = s[1];
    });
    add(node, text.slice(pos));
  }
  function claimList(ks, opts) {
    return add(el("ul", {"class": "claims"}), ks.map(function (k) { return claimItem(k, opts); }));
  }
  function relationRow(r, from) {
    var first = from === undefined ? r.a : (r.a === from ? r.a : r.b);
    var second = first === r.a ? r.b : r.a;
    return el("li", {"class": "relation rel-" + r.kind},
      el("div", {"class": "pair"}, claimItemDiv(first), relationBadge(r.kind, r.score), claimItemDiv(second)));
  }
  function claimItemDiv(k) {
    var c = DATA.claims[k];
    return el("div", {"class": "pair-claim"}, el("a", {"class": "quote", href: claimHref(k)}, "\u201c" + snippet(c.text) + "\u201d"),
      el("div", {"class": "meta"}, chip(c.a)));
  }

  // --- the views --------------------------------------------------------------------------
  function heading(text, sub) {
    return [el("h1", {tabindex: "-1", text: text}), sub ? el("p", {"class": "lede", text: sub}) : null];
  }
  function sidesBlock(i) {
    var issue = DATA.issues[i];
    var box = el("div", {"class": "sides"});
    function part(side, members, label) {
      if (!members.length) return;
      var cls = side > 0 ? "back" : side < 0 ? "dispute" : "none";
      add(box, el("div", {"class": "side side-" + cls},
        el("div", {"class": "side-head"}, label ? el("span", {"class": "badge side-none", text: label}) : sideBadge(side),
          el("span", {"class": "count", text: " " + plural(members.length, "analyst")})),
        el("div", {"class": "chips"}, members.map(function (a) { return chip(a); }))));
    }
    if (issue.sided) {
      part(1, issue.backs); part(-1, issue.disputes); part(0, issue.speaks);
    } else {
      part(0, issue.speaks, S.noSides);
    }
    return box;
  }
  function issueCounts(issue) {
    var analysts = new Set(issue.backs.concat(issue.disputes, issue.speaks)).size;
    var parts = [plural(issue.claims.length, "claim"), plural(analysts, "analyst")];
    if (issue.agree) parts.push(plural(issue.agree, "agree link"));
    if (issue.disagree) parts.push(plural(issue.disagree, "disagree link"));
    return parts.join(" \u00b7 ");
  }

  function viewOverview() {
    var nIssues = DATA.issues.length;
    var divisive = DATA.issues.filter(function (x) { return x.verdict === "divisive"; }).length;
    add(main, heading("Issues: who stands where",
      plural(nIssues, "issue") + " (" + divisive + " divisive) from " + plural(DATA.claims.length, "claim") + " by " +
      plural(DATA.analysts.length, "analyst") + " in " + plural(DATA.documents.length, "document") +
      (DATA.unclustered ? "; " + plural(DATA.unclustered, "claim") + " fit no issue" : "") +
      ". Each issue is a question put in the words of its pivot claim: who backs it, who disputes it."));
    var tools = el("div", {"class": "tools"});
    var sort = el("select", {id: "issue-sort"},
      el("option", {value: "size", text: "largest first"}), el("option", {value: "contested", text: "most contested first"}));
    add(tools, [el("label", {"for": "issue-sort", text: "Order: "}), sort, " ",
      el("a", {href: "#/all", "class": "button-link", text: "All issues on one page (to print)"})]);
    add(main, tools);
    var list = el("ol", {"class": "issue-list"});
    function fill() {
      list.textContent = "";
      var order = DATA.issues.map(function (_, i) { return i; });
      if (sort.value === "contested") {
        var rank = {divisive: 0, consensus: 1, open: 2};
        order.sort(function (x, y) {
          var a = DATA.issues[x], b = DATA.issues[y];
          return rank[a.verdict] - rank[b.verdict] || b.disagree - a.disagree || b.disputes.length - a.disputes.length || x - y;
        });
      }
      order.forEach(function (i) {
        var issue = DATA.issues[i];
        add(list, el("li", {"class": "issue-card verdict-" + issue.verdict},
          el("h2", null, el("a", {href: issueHref(i)}, el("span", {"class": "issue-id", text: issue.id + ": "}), issueTitle(i))),
          el("p", {"class": "meta"}, verdictBadge(issue.verdict), " " + issueCounts(issue)),
          sidesBlock(i)));
      });
    }
    sort.addEventListener("change", fill);
    fill();
    add(main, list);
  }

  function issueSection(i, level) {
    var issue = DATA.issues[i];
    var sec = el("section", {"class": "issue-page"});
    var h = el(level === 1 ? "h1" : "h2", {tabindex: level === 1 ? "-1" : null},
      el("span", {"class": "issue-id", text: issue.id + ": "}), issueTitle(i));
    add(sec, [h, el("p", {"class": "meta"}, verdictBadge(issue.verdict), " " + issueCounts(issue)), sidesBlock(i)]);
    if (issue.map) {
      var tpl = document.getElementById("map-" + i);
      if (tpl) {
        // fitted to the page by default, but at full size on a phone, where fitted text is unreadable
        var fitFirst = S.mapFit && window.innerWidth >= 760;
        var figure = el("figure", {"class": "map" + (fitFirst ? " fit" : "")});
        var svg = tpl.content.firstElementChild.cloneNode(true);
        svg.setAttribute("aria-label", "Argument map of " + issue.id + ": claims by side, agree and disagree links");
        sizeMap(svg, fitFirst);
        var toggle = el("button", {type: "button", "class": "map-toggle", "aria-pressed": String(!fitFirst), text: fitFirst ? "Show the map at full size" : "Fit the map to the page"});
        toggle.addEventListener("click", function () {
          var fit = !figure.classList.contains("fit");
          figure.classList.toggle("fit", fit);
          sizeMap(svg, fit);
          toggle.setAttribute("aria-pressed", String(!fit));
          toggle.textContent = fit ? "Show the map at full size" : "Fit the map to the page";
        });
        add(sec, el("div", {"class": "map-head"}, el("h" + (level + 1), {text: "Map"}), toggle));
        add(sec, add(figure, [el("div", {"class": "map-scroll"}, svg),
          el("figcaption", {text: "Each box is a claim, coloured by analyst; green solid lines agree, red dashed lines disagree, with the model's score. Click a claim to see where it was said."})]));
      }
    }
    add(sec, el("h" + (level + 1), {text: "Claims by side"}));
    var cols = el("div", {"class": "by-side"});
    var groups = issue.sided ? [[1, "back"], [-1, "dispute"], [0, "none"]] : [[0, "none"]];
    groups.forEach(function (g) {
      var ks = issue.claims.filter(function (k) { return !issue.sided || DATA.claims[k].side === g[0]; });
      if (issue.sided && issue.pivot >= 0 && g[0] > 0) ks = [issue.pivot].concat(ks.filter(function (k) { return k !== issue.pivot; }));
      if (!ks.length) return;
      add(cols, el("section", {"class": "side-col side-" + g[1]},
        el("h" + (level + 2), null, issue.sided ? sideBadge(g[0]) : el("span", {"class": "badge side-none", text: S.noSides}),
          " " + plural(ks.length, "claim")),
        claimList(ks, {showIssue: false, showSide: false})));
    });
    add(sec, cols);
    var rels = DATA.relations.filter(function (r) { return r.i === i; }).sort(function (x, y) { return y.score - x.score; });
    add(sec, el("h" + (level + 1), {text: "Links between claims (" + rels.length + ")"}));
    if (rels.length) add(sec, add(el("ul", {"class": "relations"}), rels.map(function (r) { return relationRow(r); })));
    else add(sec, el("p", {"class": "note", text: "No agree or disagree link was found between these claims."}));
    return sec;
  }
  function sizeMap(svg, fit) {
    var w = Number(svg.getAttribute("data-width")) || 800;
    svg.style.width = fit ? "100%" : w + "px";
    svg.style.maxWidth = fit ? w + "px" : "none";
    svg.style.height = "auto";
  }
  function viewIssue(id) {
    var i = DATA.issues.findIndex(function (x) { return x.id === id; });
    if (i < 0) return notFound("issue", id);
    add(main, crumbs([["Issues", "#/"], [DATA.issues[i].id]]));
    add(main, issueSection(i, 1));
    var prev = i > 0 ? el("a", {href: issueHref(i - 1), rel: "prev", text: "\u2190 " + DATA.issues[i - 1].id}) : null;
    var next = i < DATA.issues.length - 1 ? el("a", {href: issueHref(i + 1), rel: "next", text: DATA.issues[i + 1].id + " \u2192"}) : null;
    add(main, el("nav", {"class": "pager", "aria-label": "Other issues"}, prev, next));
  }
  function viewAll() {
    add(main, heading("All issues", plural(DATA.issues.length, "issue") + ", one after another, ready to print (use your browser's Print)."));
    var b = el("button", {type: "button", text: "Print"});
    b.addEventListener("click", function () { window.print(); });
    add(main, el("p", {"class": "tools"}, b));
    DATA.issues.forEach(function (_, i) { add(main, issueSection(i, 2)); });
  }

  function pairCounts() {
    var counts = {};
    DATA.relations.forEach(function (r) {
      var a = DATA.claims[r.a].a, b = DATA.claims[r.b].a;
      [[a, b], [b, a]].forEach(function (p) {
        var key = p[0] + ":" + p[1];
        counts[key] = counts[key] || {agree: 0, disagree: 0};
        counts[key][r.kind] += 1;
      });
    });
    return counts;
  }
  function viewAnalysts() {
    add(main, heading("Analysts", plural(DATA.analysts.length, "analyst") + ": everyone whose claims argmap found, with how often their claims agree or clash with others'."));
    var links = pairCounts();
    var rows = DATA.analysts.map(function (an, a) {
      var agree = 0, clash = 0, issues = new Set();
      DATA.claims.forEach(function (c) { if (c.a === a && c.i >= 0) issues.add(c.i); });
      Object.keys(links).forEach(function (key) {
        if (key.split(":")[0] === String(a)) { agree += links[key].agree; clash += links[key].disagree; }
      });
      return el("tr", null, el("th", {scope: "row"}, chip(a)), el("td", {text: an.claims}), el("td", {text: an.documents}),
        el("td", {text: issues.size}), el("td", {text: agree}), el("td", {text: clash}));
    });
    add(main, el("div", {"class": "table-wrap"}, el("table", {"class": "data"},
      el("caption", {text: "Claims, documents and issues per analyst; agree and clash links between their claims and other analysts'"}),
      el("thead", null, el("tr", null, ["analyst", "claims", "documents", "issues", "agree links", "clash links"].map(function (h) { return el("th", {scope: "col", text: h}); }))),
      el("tbody", null, rows))));
  }
  function viewAnalyst(name) {
    var a = DATA.analysts.findIndex(function (x) { return x.name === name; });
    if (a < 0) return notFound("analyst", name);
    var an = DATA.analysts[a];
    var mine = [];
    DATA.claims.forEach(function (c, k) { if (c.a === a) mine.push(k); });
    add(main, crumbs([["Analysts", "#/analysts"], [an.short]]));
    add(main, [el("h1", {tabindex: "-1", "class": "analyst-title"}, chip(a, false)),
      el("p", {"class": "lede", text: plural(an.claims, "claim") + " in " + plural(an.documents, "document") + "."})]);
    // agreement with each other analyst: issue-level (as `argmap matrix`), then the links
    var rows = DATA.agreement.filter(function (p) { return p[0] === a || p[1] === a; }).map(function (p) {
      return {other: p[0] === a ? p[1] : p[0], shared: p[2], agree: p[3], disagree: p[4], mixed: p[5]};
    }).sort(function (x, y) { return (y.agree + y.disagree + y.mixed) - (x.agree + x.disagree + x.mixed) || y.shared - x.shared; });
    add(main, el("h2", {text: "Where they agree and clash with each other analyst"}));
    if (rows.length) {
      add(main, el("div", {"class": "table-wrap"}, el("table", {"class": "data"},
        el("caption", {text: "Issues both speak on, and how the links between their claims there fall"}),
        el("thead", null, el("tr", null, ["other analyst", "shared issues", "= agree", "\u2260 clash", "\u00b1 mixed"].map(function (h) { return el("th", {scope: "col", text: h}); }))),
        el("tbody", null, rows.map(function (r) {
          return el("tr", null, el("th", {scope: "row"}, chip(r.other)), el("td", {text: r.shared}),
            el("td", {"class": r.agree ? "n-agree" : null, text: r.agree}), el("td", {"class": r.disagree ? "n-disagree" : null, text: r.disagree}),
            el("td", {text: r.mixed}));
        })))));
    } else {
      add(main, el("p", {"class": "note", text: "No other analyst speaks on the same issues."}));
    }
    var mineSet = new Set(mine);
    var rels = DATA.relations.filter(function (r) { return mineSet.has(r.a) || mineSet.has(r.b); })
      .sort(function (x, y) { return (x.kind === y.kind ? 0 : x.kind === "disagree" ? -1 : 1) || y.score - x.score; });
    add(main, el("h3", {text: "Their claims' links to other analysts' claims (" + rels.length + ")"}));
    if (rels.length) add(main, add(el("ul", {"class": "relations"}), rels.map(function (r) { return relationRow(r, mineSet.has(r.a) ? r.a : r.b); })));
    else add(main, el("p", {"class": "note", text: "None found."}));
    add(main, el("h2", {text: "Their claims, by issue"}));
    var byIssue = {};
    mine.forEach(function (k) { var i = DATA.claims[k].i; (byIssue[i] = byIssue[i] || []).push(k); });
    Object.keys(byIssue).map(Number).sort(function (x, y) { return (x < 0) - (y < 0) || x - y; }).forEach(function (i) {
      add(main, el("h3", null, i < 0 ? "In no issue" : el("a", {href: issueHref(i)}, DATA.issues[i].id + ": " + issueTitle(i))));
      add(main, claimList(byIssue[i], {showIssue: false}));
    });
  }

  function viewDocuments() {
    add(main, heading("Documents", plural(DATA.documents.length, "document") + ". Open one to read it with every claim highlighted."));
    add(main, add(el("ul", {"class": "doc-list"}), DATA.documents.map(function (d, k) {
      return el("li", null, el("h2", null, el("a", {href: docHref(k), text: d.title})), docMeta(d));
    })));
  }
  function docMeta(d) {
    var bits = [d.outlet, d.date].filter(Boolean).join(", ");
    var p = el("p", {"class": "meta"}, bits ? bits + " \u00b7 " : "", plural(d.claims, "claim"));
    if (d.authors.length) add(p, " \u00b7 by " + d.authors.join(", "));
    return p;
  }
  function viewDocument(id, claimId) {
    var d = DATA.documents.findIndex(function (x) { return x.id === id; });
    if (d < 0) return notFound("document", id);
    var doc = DATA.documents[d];
    add(main, crumbs([["Documents", "#/documents"], [doc.title]]));
    add(main, el("h1", {tabindex: "-1", text: doc.title}));
    add(main, docMeta(doc));
    if (doc.url) add(main, el("p", {"class": "meta"}, "Source: ", el("a", {href: doc.url, rel: "noopener noreferrer external", target: "_blank", text: doc.url})));
    else if (doc.urlText) add(main, el("p", {"class": "meta"}, "Source (not a web link): ", el("code", {text: doc.urlText})));
    if (doc.note) add(main, el("p", {"class": "note", text: "Note: " + doc.note}));
    var present = [];
    DATA.claims.forEach(function (c) { if (c.d === d && present.indexOf(c.a) < 0) present.push(c.a); });
    add(main, el("div", {"class": "legend"}, el("span", {text: "Highlighted claims by: "}), present.sort(function (x, y) { return x - y; }).map(function (a) { return chip(a); })));
    var layout = el("div", {"class": "doc-layout"});
    var text = el("article", {"class": "doc-text", "aria-label": "Text of the document"});
    var current = null;
    doc.paragraphs.forEach(function (p) {
      var node = el(p.kind === "heading" ? "h2" : "p", {"class": "para para-" + p.kind, id: p.n ? "para-" + p.n : null});
      if (p.kind === "item") node.className += " item";
      if (p.kind === "lost") add(text, el("p", {"class": "note", text: "Claims whose place in the text could not be found again:"}));
      if (p.n && p.kind !== "heading") add(node, el("span", {"class": "pnum", "aria-hidden": "true", text: "\u00b6" + p.n}));
      if (p.kind === "context") add(node, el("span", {"class": "context-tag", text: (p.who ? p.who + " \u00b7 " : "") + "context, not a claim"}));
      var claimParts = p.parts.filter(function (part) { return part[1] >= 0; });
      p.parts.forEach(function (part) {
        if (part[1] < 0) { add(node, part[0]); return; }
        var nextClaim = claimParts[claimParts.indexOf(part) + 1];
        var c = DATA.claims[part[1]];
        var an = DATA.analysts[c.a];
        var m = el("mark", {"class": "hl border-" + an.border, id: "claim-" + c.id, tabindex: "-1", "data-claim": c.id},
          el("a", {href: claimHref(part[1]), title: an.name + " \u2014 click for details"}, part[0]));
        m.style.backgroundColor = an.color;
        if (c.id === claimId) { m.classList.add("current"); current = m; }
        add(node, m);
        // the name after a run of claims by one analyst: colour is never the only cue
        if (!nextClaim || DATA.claims[nextClaim[1]].a !== c.a) add(node, el("span", {"class": "who", text: " [" + an.short + "]"}));
      });
      add(text, node);
    });
    var aside = el("aside", {"class": "claim-panel", "aria-label": "Selected claim"});
    if (current) {
      var k = DATA.claims.findIndex(function (c) { return c.id === claimId; });
      claimPanel(aside, k);
    } else {
      add(aside, el("p", {"class": "note", text: "Click a highlighted claim to see who said it, its issue and its links."}));
    }
    add(layout, [text, aside]);
    add(main, layout);
    return current;
  }
  function claimPanel(aside, k) {
    var c = DATA.claims[k];
    add(aside, el("h2", {text: "Selected claim"}));
    add(aside, el("blockquote", {"class": "quote-block", text: "\u201c" + c.text + "\u201d"}));
    var meta = el("p", {"class": "meta"}, chip(c.a), " \u00b6" + c.p);
    add(aside, meta);
    if (c.i >= 0) {
      var issue = DATA.issues[c.i];
      add(aside, el("p", null, "Issue: ", el("a", {href: issueHref(c.i)}, issue.id + ": " + issueTitle(c.i))));
      if (issue.sided) add(aside, el("p", null, sideBadge(c.side), issue.pivot === k ? el("span", {"class": "badge pivot", text: S.pivot}) : null));
    } else {
      add(aside, el("p", {"class": "note", text: "This claim is in no issue."}));
    }
    var rels = DATA.relations.filter(function (r) { return r.a === k || r.b === k; });
    if (rels.length) {
      add(aside, el("h3", {text: "Links"}));
      add(aside, add(el("ul", {"class": "panel-links"}), rels.map(function (r) {
        var o = r.a === k ? r.b : r.a;
        return el("li", null, relationBadge(r.kind, r.score), " ", chip(DATA.claims[o].a), " ",
          el("a", {href: claimHref(o), text: "\u201c" + snippet(DATA.claims[o].text) + "\u201d"}));
      })));
    }
  }

  function viewMatrix() {
    add(main, heading("Stance matrix", "Each row an issue, each column an analyst: where each analyst stands on the issue's pivot claim."));
    var M = DATA.matrix;
    if (M.image) {
      add(main, el("figure", {"class": "matrix-picture"},
        el("img", {src: M.image, alt: "Stance matrix picture: issues as rows, analysts as columns; blue + for, red \u2212 against, yellow \u00b1 mixed, grey \u2022 speaks without a side, white silent. The same data is in the table below."}),
        el("figcaption", {text: "The stance matrix as `argmap matrix` draws it. The table below holds the same cells, with links."})));
    }
    var pos = S.positions;
    var key = {"1": ["for", pos["for"]], "-1": ["against", pos.against], "2": ["mixed", pos.mixed], "0": ["speaks", pos.speaks]};
    add(main, el("p", {"class": "meta"}, "In the table: ", Object.keys(key).map(function (k) {
      return el("span", {"class": "cell-key pos-" + key[k][0]}, el("span", {"class": "sym", "aria-hidden": "true", text: key[k][1]}), " " + key[k][0] + " ");
    }), "\u00b7 empty: silent"));
    var head = el("tr", null, el("th", {scope: "col", text: "issue"}), M.analysts.map(function (a) {
      return el("th", {scope: "col", "class": "rot"}, el("a", {href: analystHref(a), title: DATA.analysts[a].name, text: DATA.analysts[a].short}));
    }));
    var body = DATA.issues.map(function (issue, i) {
      return el("tr", null, el("th", {scope: "row"}, el("a", {href: issueHref(i), title: issue.label}, issue.id + " " + snippet(issue.label).slice(0, 60))),
        M.cells[i].map(function (v, j) {
          if (v === null) return el("td", {"class": "pos-silent"});
          var k = key[String(v)];
          return el("td", {"class": "pos-" + k[0], title: DATA.analysts[M.analysts[j]].name + ": " + k[0]},
            el("span", {"aria-hidden": "true", text: k[1]}), el("span", {"class": "visually-hidden", text: k[0]}));
        }));
    });
    add(main, el("div", {"class": "table-wrap matrix-wrap"}, el("table", {"class": "data matrix"},
      el("caption", {text: "Stance matrix: issues \u00d7 analysts"}), el("thead", null, head), el("tbody", null, body))));
  }

  // --- search -----------------------------------------------------------------------------
  function words(q) { return q.toLowerCase().split(/\s+/).filter(Boolean); }
  function viewSearch(params) {
    var q = params.get("q") || "";
    if (quick.value !== q) quick.value = q;
    add(main, heading("Search claims", "Every word must appear in the claim (capitals do not matter). Narrow by analyst, document or issue."));
    var form = el("form", {"class": "filters", role: "search", id: "filters"});
    function select(id, label, options, value) {
      var s = el("select", {id: id, name: id}, el("option", {value: "", text: "any " + label}),
        options.map(function (o) { return el("option", {value: o[0], text: o[1]}); }));
      s.value = value || "";
      add(form, el("label", {"for": id, "class": "filter"}, el("span", {text: label + " "}), s));
      return s;
    }
    var inp = el("input", {id: "q2", type: "search", value: q, autocomplete: "off"});
    add(form, el("label", {"for": "q2", "class": "filter"}, el("span", {text: "words "}), inp));
    var sa = select("f-analyst", "analyst", DATA.analysts.map(function (a) { return [a.name, a.short]; }), params.get("analyst"));
    var sd = select("f-document", "document", DATA.documents.map(function (d) { return [d.id, d.title]; }), params.get("document"));
    var si = select("f-issue", "issue", DATA.issues.map(function (x) { return [x.id, x.id + ": " + snippet(x.label).slice(0, 50)]; }), params.get("issue"));
    form.addEventListener("submit", function (e) { e.preventDefault(); });
    add(main, form);
    var status = el("p", {"class": "result-count", id: "result-count", role: "status"});
    var list = el("ul", {"class": "claims results"});
    add(main, [status, list]);
    function run() {
      var ws = words(inp.value);
      var a = sa.value, d = sd.value, i = si.value;
      var hits = [];
      DATA.claims.forEach(function (c, k) {
        if (a && DATA.analysts[c.a].name !== a) return;
        if (d && (c.d < 0 || DATA.documents[c.d].id !== d)) return;
        if (i && (c.i < 0 || DATA.issues[c.i].id !== i)) return;
        var t = c.text.toLowerCase();
        for (var n = 0; n < ws.length; n++) if (t.indexOf(ws[n]) < 0) return;
        hits.push(k);
      });
      list.textContent = "";
      hits.forEach(function (k) { add(list, claimItem(k, {words: ws})); });
      var msg = hits.length === DATA.claims.length ? "All " + plural(hits.length, "claim") + " (type words or choose a filter to narrow)."
        : plural(hits.length, "claim") + " match" + (hits.length === 1 ? "es" : "") + ".";
      status.textContent = msg;
      announce.textContent = msg;
      var p = new URLSearchParams();
      if (inp.value) p.set("q", inp.value);
      if (a) p.set("analyst", a);
      if (d) p.set("document", d);
      if (i) p.set("issue", i);
      var h = "#/search" + (p.toString() ? "?" + p.toString() : "");
      if (location.hash !== h) { history.replaceState(null, "", h); lastHash = h; }
      if (quick.value !== inp.value) quick.value = inp.value;
    }
    inp.addEventListener("input", run);
    [sa, sd, si].forEach(function (s) { s.addEventListener("change", run); });
    run();
    return inp;
  }

  // --- routing ----------------------------------------------------------------------------
  function crumbs(items) {
    return el("nav", {"class": "crumbs", "aria-label": "Breadcrumb"}, el("ol", null, items.map(function (it) {
      return el("li", null, it[1] ? el("a", {href: it[1], text: it[0]}) : el("span", {"aria-current": "page", text: it[0]}));
    })));
  }
  function notFound(what, id) {
    add(main, heading("Not in this report", "No " + what + " \u201c" + id + "\u201d here."));
    add(main, el("p", null, el("a", {href: "#/", text: "Back to the issues"})));
  }
  var lastHash = null;
  function route(initial) {
    var hash = location.hash || "#/";
    if (hash.slice(0, 2) !== "#/") return; // the skip link's #main: stay on the view
    lastHash = hash;
    var qpos = hash.indexOf("?");
    var path = (qpos < 0 ? hash : hash.slice(0, qpos)).slice(2).split("/").map(function (s) {
      try { return decodeURIComponent(s); } catch (e) { return s; }
    });
    var params = new URLSearchParams(qpos < 0 ? "" : hash.slice(qpos + 1));
    main.textContent = "";
    var view = path[0] || "overview";
    if (view !== "search") quick.value = "";
    var focus = null;
    if (view === "overview") viewOverview();
    else if (view === "issue") viewIssue(path[1]);
    else if (view === "all") viewAll();
    else if (view === "analysts") viewAnalysts();
    else if (view === "analyst") viewAnalyst(path[1]);
    else if (view === "documents") viewDocuments();
    else if (view === "document") viewDocument(path[1]);
    else if (view === "claim") {
      var c = DATA.claims.find(function (x) { return x.id === path[1]; });
      if (!c || c.d < 0) notFound("claim", path[1]);
      else focus = viewDocument(DATA.documents[c.d].id, c.id);
    } else if (view === "matrix") viewMatrix();
    else if (view === "search") focus = viewSearch(params);
    else notFound("view", view);
    var section = {overview: "overview", issue: "overview", all: "overview", analysts: "analysts", analyst: "analysts",
      documents: "documents", document: "documents", claim: "documents", matrix: "matrix", search: "search"}[view];
    document.querySelectorAll("[data-nav]").forEach(function (a) {
      if (a.getAttribute("data-nav") === section) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
    });
    var h1 = main.querySelector("h1");
    document.title = (h1 ? h1.textContent + " \u2014 " : "") + DATA.title;
    if (view === "claim" && focus) {
      focus.scrollIntoView({block: "center"});
      focus.focus({preventScroll: true});
    } else if (view === "search" && focus) {
      window.scrollTo(0, 0);
      if (document.activeElement !== quick) focus.focus();
    } else {
      window.scrollTo(0, 0);
      // a new view: focus its heading (screen readers read it); on first load the page starts
      // at the top, so Tab reaches the skip link first
      if (h1 && !initial) h1.focus({preventScroll: true});
    }
  }
  window.addEventListener("hashchange", function () { if (location.hash !== lastHash) route(false); });

  document.getElementById("quick").addEventListener("submit", function (e) {
    e.preventDefault();
    location.hash = "#/search" + (quick.value ? "?q=" + enc(quick.value) : "");
  });
  quick.addEventListener("input", function () {
    var inp = document.getElementById("q2");
    if (inp) { inp.value = quick.value; inp.dispatchEvent(new Event("input")); }
  });
  document.addEventListener("keydown", function (e) {
    var t = e.target;
    var typing = t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable);
    if (e.key === "/" && !typing && !e.ctrlKey && !e.metaKey && !e.altKey) { e.preventDefault(); quick.focus(); quick.select(); }
  });
  document.getElementById("skip").addEventListener("click", function (e) { e.preventDefault(); main.focus(); });
  route(true);
})();

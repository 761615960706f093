/* govcx feedback widget: turns links to a govcx survey into an accessible modal dialog.

   On your page:
     <a href="https://govcx.example/survey/SURVEY_ID?service_id=...&channel=web" data-govcx-survey>Give feedback</a>
     <script src="https://govcx.example/static/feedback/widget.js" defer></script>

   Without JavaScript the link simply opens the survey page. With it, the survey opens in a native
   <dialog> (focus moves in and is trapped, Esc closes (inside the survey too), focus returns to the link) that frames the
   same page in its embedded layout. No inline script or style: it works under a strict CSP. */
(function () {
  "use strict";
  var count = 0;

  function embedded(href) {
    var url = new URL(href, document.baseURI);
    url.searchParams.set("embed", "1");
    return url.toString();
  }

  function open(link) {
    count += 1;
    var id = "govcx-survey-" + count;
    var dialog = document.createElement("dialog");
    dialog.setAttribute("aria-labelledby", id + "-title");
    dialog.className = "govcx-survey-dialog";
    dialog.style.width = "min(42rem, 95vw)";
    dialog.style.height = "min(44rem, 90vh)";
    dialog.style.padding = "0.5rem";

    var bar = document.createElement("div");
    bar.style.display = "flex";
    bar.style.justifyContent = "space-between";
    bar.style.alignItems = "center";
    var title = document.createElement("h2");
    title.id = id + "-title";
    title.textContent = link.getAttribute("data-govcx-title") || link.textContent.trim() || "Feedback";
    title.style.margin = "0";
    title.style.fontSize = "1.1rem";
    var close = document.createElement("button");
    close.type = "button";
    close.textContent = link.getAttribute("data-govcx-close") || "Close";
    close.addEventListener("click", function () { dialog.close(); });
    bar.appendChild(title);
    bar.appendChild(close);

    var frame = document.createElement("iframe");
    frame.src = embedded(link.href);
    frame.title = title.textContent;
    frame.style.width = "100%";
    frame.style.height = "calc(100% - 3rem)";
    frame.style.border = "0";

    var surveyOrigin = new URL(frame.src).origin;
    function onMessage(event) {
      // Only the framed survey may close its dialog.
      if (event.origin === surveyOrigin && event.source === frame.contentWindow &&
          event.data && event.data.govcx === "close-survey") dialog.close();
    }
    window.addEventListener("message", onMessage);

    dialog.appendChild(bar);
    dialog.appendChild(frame);
    dialog.addEventListener("close", function () {
      window.removeEventListener("message", onMessage);
      dialog.remove();
      link.focus();
    });
    document.body.appendChild(dialog);
    dialog.showModal();
    close.focus();
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-govcx-survey]");
    if (!link || typeof HTMLDialogElement === "undefined") return;  // old browsers follow the link
    event.preventDefault();
    open(link);
  });
})();

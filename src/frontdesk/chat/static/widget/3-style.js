// -- looks: the account's colour and corner; full screen below 480 px; 16 px inputs (no iOS zoom)
var DEFAULT_ACCENT = "#0a58ca"; // white on it: 6.5:1
function readableOn(hex) {
  // WCAG relative luminance: dark text on a light accent, white on a dark one.
  var channels = [1, 3, 5].map(function (at) {
    var c = parseInt(hex.substr(at, 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
  });
  var luminance = 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2];
  return luminance > 0.179 ? "#1f2328" : "#ffffff";
}
function css(widget) {
  var accent = /^#[0-9a-fA-F]{6}$/.test(widget.color || "") ? widget.color : DEFAULT_ACCENT;
  var side = widget.position === "left" ? "left" : "right";
  return (
    ":host{all:initial}" +
    "*{box-sizing:border-box}" +
    ".fd-sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}" +
    ".fd-launch{position:fixed;" + side + ":20px;bottom:20px;z-index:2147483000;border:0;border-radius:24px;" +
    "padding:12px 18px;background:" + accent + ";color:" + readableOn(accent) + ";" +
    "font:600 15px system-ui,sans-serif;cursor:pointer;box-shadow:0 4px 12px rgba(0,0,0,.2)}" +
    ".fd-launch:focus-visible,.fd-panel button:focus-visible,.fd-panel input:focus-visible," +
    ".fd-panel textarea:focus-visible{outline:3px solid #1f2328;outline-offset:2px}" +
    ".fd-badge{display:inline-block;min-width:20px;margin-left:8px;padding:1px 6px;border-radius:10px;" +
    "background:#b91c1c;color:#fff;font-size:12px;line-height:18px;text-align:center}" +
    ".fd-badge[hidden]{display:none}" +
    ".fd-panel{position:fixed;" + side + ":20px;bottom:80px;z-index:2147483000;width:360px;height:520px;" +
    "max-height:calc(100vh - 100px);display:none;flex-direction:column;background:#fff;" +
    "border:1px solid #d0d7de;border-radius:12px;box-shadow:0 8px 24px rgba(0,0,0,.15);" +
    "font:14px/1.4 system-ui,sans-serif;color:#1f2328;overflow:hidden}" +
    ".fd-panel.fd-open{display:flex}" +
    ".fd-head{display:flex;align-items:center;gap:8px;padding:10px 12px;background:" + accent + ";" +
    "color:" + readableOn(accent) + "}" +
    ".fd-heading{flex:1;min-width:0}.fd-title{margin:0;font-size:16px;font-weight:600}" +
    ".fd-sub{margin:0;font-size:12px}" +
    ".fd-head button{border:0;background:none;color:inherit;cursor:pointer;font:inherit;padding:4px 6px}" +
    ".fd-close{font-size:20px;line-height:1}" +
    ".fd-state{padding:6px 12px;background:#fff8c5;color:#1f2328;font-size:13px}" +
    ".fd-state[hidden]{display:none}" +
    ".fd-log{flex:1;overflow-y:auto;padding:10px 12px}" +
    ".fd-greeting{margin:4px 0 10px;color:#1f2328}" +
    ".fd-msg{display:flex;gap:8px;margin:8px 0;align-items:flex-end}" +
    ".fd-msg.fd-visitor{flex-direction:row-reverse}" +
    ".fd-body{max-width:78%}.fd-visitor .fd-body{text-align:right}" +
    ".fd-meta{display:block;font-size:12px;color:#57606a;margin:0 2px 2px}" +
    ".fd-text{display:inline-block;text-align:left;padding:7px 10px;border-radius:12px;" +
    "white-space:pre-wrap;overflow-wrap:anywhere;background:#f0f2f4}" +
    ".fd-visitor .fd-text{background:" + accent + ";color:" + readableOn(accent) + "}" +
    ".fd-pending .fd-text{opacity:.75}.fd-failed .fd-meta{color:#b91c1c}" +
    ".fd-avatar{width:28px;height:28px;border-radius:50%;flex:none;object-fit:cover;background:#d0d7de;" +
    "color:#1f2328;font-size:13px;font-weight:600;display:flex;align-items:center;justify-content:center}" +
    ".fd-note{color:#57606a;font-size:12px;text-align:center;margin:8px 0}" +
    ".fd-typing,.fd-wait{padding:0 12px 6px;color:#57606a;font-size:13px;min-height:1em}" +
    ".fd-typing[hidden],.fd-wait[hidden]{display:none}" +
    ".fd-rate{display:none;padding:8px 12px;border-top:1px solid #d0d7de;text-align:center}" +
    ".fd-rate.fd-open{display:block}.fd-question{margin:0 0 6px;font-weight:600}" +
    ".fd-stars{display:flex;justify-content:center;gap:6px}" +
    ".fd-star{border:1px solid #8c959f;background:#fff;color:#1f2328;border-radius:6px;cursor:pointer;" +
    "padding:4px 8px;font:inherit}" +
    ".fd-form{display:flex;border-top:1px solid #d0d7de}" +
    ".fd-form[hidden],.fd-offline[hidden]{display:none}" +
    ".fd-input{flex:1;min-width:0;border:0;padding:12px;font:16px system-ui,sans-serif;color:#1f2328}" +
    ".fd-panel .fd-input:focus-visible{outline-offset:-3px}" +
    ".fd-send,.fd-leave{border:0;background:" + accent + ";color:" + readableOn(accent) + ";" +
    "padding:0 16px;cursor:pointer;font:600 15px system-ui,sans-serif}" +
    ".fd-offline{padding:10px 12px;border-top:1px solid #d0d7de;display:flex;flex-direction:column;gap:6px}" +
    ".fd-offline p{margin:0}.fd-offline label{font-size:13px;font-weight:600}" +
    ".fd-offline input,.fd-offline textarea{width:100%;border:1px solid #8c959f;border-radius:6px;" +
    "padding:8px;font:16px system-ui,sans-serif;color:#1f2328}" +
    ".fd-leave{padding:10px;border-radius:6px}.fd-error{color:#b91c1c;font-size:13px}" +
    "@media (max-width:479px){.fd-panel{left:0;right:0;top:0;bottom:0;width:100%;height:100%;" +
    "max-height:none;border-radius:0;border:0}.fd-panel.fd-open~.fd-launch{display:none}}"
  );
}

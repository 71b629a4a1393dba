/** The widget's whole stylesheet; it lives in the shadow root, so page styles and ours never mix. */
export const WIDGET_CSS = `
:host { all: initial; }
* { box-sizing: border-box; font-family: system-ui, -apple-system, "Segoe UI", sans-serif; font-size: 14px; }
[hidden] { display: none !important; }
[data-part="launcher"] {
  position: fixed; right: 20px; bottom: 20px; z-index: 2147483646;
  padding: 12px 18px; border: 0; border-radius: 24px; background: #2f5bea; color: #fff;
  font-weight: 600; cursor: pointer; box-shadow: 0 4px 14px rgba(0,0,0,.2);
}
[data-part="panel"] {
  position: fixed; right: 20px; bottom: 76px; z-index: 2147483647;
  width: min(360px, calc(100vw - 40px)); height: min(520px, calc(100vh - 100px));
  display: flex; flex-direction: column; background: #fff; color: #1d2330;
  border-radius: 12px; box-shadow: 0 8px 30px rgba(0,0,0,.25); overflow: hidden;
}
header { display: flex; justify-content: space-between; align-items: center; padding: 12px 14px; background: #2f5bea; color: #fff; }
header div { display: flex; flex-direction: column; gap: 2px; }
[data-part="status"] { font-size: 12px; opacity: .85; }
[data-part="close"] { border: 0; background: transparent; color: #fff; font-size: 22px; cursor: pointer; }
[data-part="body"] { flex: 1; display: flex; flex-direction: column; min-height: 0; }
[data-part="messages"] { flex: 1; overflow-y: auto; margin: 0; padding: 12px; list-style: none; display: flex; flex-direction: column; gap: 8px; }
[data-part="messages"] li { max-width: 80%; padding: 8px 10px; border-radius: 10px; white-space: pre-wrap; overflow-wrap: anywhere; }
li[data-from="visitor"] { align-self: flex-end; background: #2f5bea; color: #fff; }
li[data-from="agent"] { align-self: flex-start; background: #eef0f5; }
li[data-state="sending"] { opacity: .6; }
li[data-state="failed"] { background: #c62828; }
[data-part="author"] { display: block; font-size: 11px; font-weight: 600; margin-bottom: 2px; }
[data-part="typing"] { padding: 0 14px 6px; font-size: 12px; color: #5b6477; font-style: italic; }
[data-part="notice"] { padding: 8px 14px; background: #fff4e5; color: #7a4b00; font-size: 12px; }
form { display: flex; gap: 8px; padding: 12px; border-top: 1px solid #e3e6ee; }
form[data-part="prechat"], form[data-part="offline"] { flex-direction: column; border-top: 0; }
form p, [data-part="offline-sent"] { margin: 0 0 4px; padding: 0 2px; color: #3a4256; }
[data-part="offline-sent"] { padding: 16px; }
input, textarea { width: 100%; padding: 8px; border: 1px solid #c9cfdc; border-radius: 8px; resize: none; color: inherit; background: #fff; }
label[data-part="consent"] { display: flex; gap: 8px; align-items: flex-start; font-size: 12px; color: #3a4256; }
label[data-part="consent"] input { width: auto; margin: 2px 0 0; }
form button { padding: 8px 14px; border: 0; border-radius: 8px; background: #2f5bea; color: #fff; font-weight: 600; cursor: pointer; }
[data-part="survey"] { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 8px; white-space: normal; }
[data-part="rate"] {
  width: 36px; height: 36px; padding: 0; border: 1px solid #c9cfdc; border-radius: 8px;
  background: #fff; color: #1d2330; font-weight: 600; cursor: pointer;
}
[data-part="rate"]:hover:not(:disabled) { border-color: #2f5bea; color: #2f5bea; }
[data-part="rate"]:focus-visible { outline: 2px solid #2f5bea; outline-offset: 1px; }
[data-part="rate"]:disabled { opacity: .5; cursor: default; }
[data-part="survey-thanks"] { margin: 0; font-size: 12px; font-weight: 600; color: #3a4256; }
`

// Forwards the MessagePort from the main process to the page (ports cannot cross contextBridge).
const { ipcRenderer } = require('electron');

ipcRenderer.on('nereid-port', (event) => {
  window.postMessage('nereid-port', '*', event.ports);
});

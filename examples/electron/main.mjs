// Electron main process: embeds Nereid (onnxruntime-node, the file-system repository) and hands
// each window a MessagePort speaking Nereid's worker transport. No TCP port is opened.
import { app, BrowserWindow, MessageChannelMain } from 'electron';
import { fileURLToPath } from 'node:url';
import { startNereid } from './server.mjs';

const nereid = await startNereid();

function openWindow() {
  const win = new BrowserWindow({
    width: 900,
    height: 700,
    webPreferences: { preload: fileURLToPath(new URL('./preload.cjs', import.meta.url)), contextIsolation: true },
  });
  const { port1, port2 } = new MessageChannelMain();
  nereid.connect(port1);
  win.webContents.once('did-finish-load', () => win.webContents.postMessage('nereid-port', null, [port2]));
  void win.loadFile(fileURLToPath(new URL('./index.html', import.meta.url)));
}

app.whenReady().then(openWindow);
app.on('window-all-closed', async () => {
  await nereid.stop();
  app.quit();
});

// The same mark the Duly window makes: after two animation frames, one IPC call.
requestAnimationFrame(() =>
  requestAnimationFrame(() => window.__TAURI_INTERNALS__.invoke('painted', { at: Date.now() })),
);

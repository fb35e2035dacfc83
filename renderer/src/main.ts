import { mount } from 'svelte';
import App from './App.svelte';
import { getApi, isConnected } from './lib/api.js';
import { Workstation } from './lib/workstation.svelte.js';
import './app.css';
import './tables.css';

const api = getApi();
const target = document.getElementById('app');
if (!target) throw new Error('#app element missing from index.html');

let store: Storage | null = null;
try {
  store = window.localStorage;
} catch {
  store = null;
}

mount(App, { target, props: { app: new Workstation(api, { store, confirm: (m) => window.confirm(m) }), connected: isConnected(api), syncHash: true } });

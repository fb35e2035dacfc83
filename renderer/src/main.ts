import { mount } from 'svelte';
import App from './App.svelte';
import { getApi, isConnected } from './lib/api.js';
import { CaseState } from './lib/case-state.svelte.js';
import './app.css';

const api = getApi();
const target = document.getElementById('app');
if (!target) throw new Error('#app element missing from index.html');

mount(App, { target, props: { model: new CaseState(api), connected: isConnected(api) } });

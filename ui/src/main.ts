import { mount } from "svelte";
import App from "./App.svelte";
import "./app.css";
import { tauriBackend } from "./lib/api/backend";

const target = document.getElementById("app");
if (target) mount(App, { target, props: { backend: tauriBackend } });

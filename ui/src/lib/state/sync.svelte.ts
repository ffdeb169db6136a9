// The server connection as the shell reports it: loaded at start, then replaced by every
// `duly://sync` event and by the answers of log in / log out.
import type { Backend } from "../api/backend";
import type { SyncView } from "../api/bindings/SyncView";

export class SyncStatus {
  view = $state<SyncView | null>(null);
  /** Moves on every new view, so pages that depend on the server reload. */
  revision = $state(0);
  /** Why the state could not be loaded, if it could not. */
  error = $state<unknown>(null);

  /** Counts the shell's events, so an answer overtaken by one is not applied over it. */
  private heard = 0;

  constructor(private readonly backend: Backend) {}

  /** Follows the shell's `duly://sync` events. */
  async listen() {
    await this.backend.onSync((view) => {
      this.heard += 1;
      this.apply(view);
    });
  }

  async start() {
    await this.listen();
    await this.refresh();
  }

  /** The full state, counts included (the Server page asks when it opens). */
  async refresh() {
    await this.track(
      () => this.backend.syncView(),
      (view) => view,
    );
  }

  /**
   * Runs a call whose answer carries a sync view and applies that view, unless an event
   * arrived while the call was running: the sync loop emits on every change, so the last event
   * is the current state, and applying the answer after it would show a state that is over (a
   * first sync "in progress" for good).
   */
  async track<T>(call: () => Promise<T>, viewOf: (answer: T) => SyncView): Promise<T> {
    const before = this.heard;
    const answer = await call();
    if (this.heard === before) this.apply(viewOf(answer));
    return answer;
  }

  apply(view: SyncView) {
    this.view = view;
    this.error = null;
    this.revision += 1;
  }

  get state() {
    return this.view?.state ?? null;
  }

  /** A session exists (it may be offline or have ended on the server). */
  get loggedIn(): boolean {
    const phase = this.state?.phase;
    return !!phase && phase !== "logged_out";
  }

  /** The session works for server calls as far as we know. */
  get active(): boolean {
    return this.loggedIn && this.state?.phase !== "session_ended";
  }

  get user() {
    return this.loggedIn ? (this.state?.user ?? null) : null;
  }

  /** Admins and managers see the users and share customers. */
  get canManage(): boolean {
    const role = this.user?.role;
    return this.active && (role === "admin" || role === "manager");
  }

  async logIn(server: string, login: string, password: string) {
    // The new session's loop emits at least once (its first round), so nothing is missed.
    await this.track(
      () => this.backend.logIn(server, login, password),
      (view) => view,
    );
  }

  async logOut() {
    this.apply(await this.backend.logOut());
  }
}

/**
 * Field report 001's SMS trail selection flow on a dbdoctor session store.
 *
 * A hiker texts START; the reply offers "1. My Trails / 2. Library". Choosing a list shows
 * it a page at a time (N for the next page, P for the previous, 0 for the menu); texting a
 * trail's number selects it. The conversation is a session keyed by the phone number that
 * expires 30 minutes after the last text (each text slides it), so the report's hand-built
 * in-memory `TrailSelectionSessionStore` is replaced by any `SessionStore`: memory for one
 * process, SQLite or PostgreSQL when several workers answer texts.
 */
import type { SessionStore } from 'dbdoctor/sessions';

/** Where the conversation is. */
export type SelectionState = 'main_menu' | 'my_trails' | 'library';

/** What the session holds (a type alias, so it is a JSON object type). */
export type TrailSelection = {
  state: SelectionState;
  /** Current page of the list, 0-based. */
  page: number;
  /** The list's trail ids, cached when it is first shown so pages stay stable. */
  trailIds: number[] | null;
};

/** A trail as the flow shows it. */
export interface Trail {
  id: number;
  name: string;
}

/** Where trails come from, and where the choice goes (report 001: accounts.active_trail_id). */
export interface TrailCatalog {
  /** The hiker's own trails (custom_routes), in display order. */
  myTrails(phone: string): Promise<Trail[]>;
  /** The shared library, in display order. */
  library(): Promise<Trail[]>;
  /** Names of these trails, in the given order. */
  describe(ids: number[]): Promise<Trail[]>;
  /** Records the hiker's choice. */
  setActiveTrail(phone: string, trailId: number): Promise<void>;
}

/** The answer to one text: the SMS to send back, and the trail chosen if this text chose one. */
export interface Reply {
  message: string;
  selectedTrailId?: number;
}

/** The report's timeout: 30 minutes after the last interaction. */
export const SELECTION_TTL = '30m';
/** Trails per SMS page. */
export const PAGE_SIZE = 5;

const MAIN_MENU = 'Reply 1 for My Trails, 2 for the Library.';
const EXPIRED = 'Your trail selection timed out. Text START to begin again.';

/** The trail selection conversation. */
export class TrailSelectionFlow {
  constructor(
    private readonly sessions: SessionStore<TrailSelection>,
    private readonly catalog: TrailCatalog,
  ) {}

  /** START: a fresh conversation at the main menu (replacing any earlier one for this phone). */
  async start(phone: string): Promise<Reply> {
    await this.sessions.create(
      phone,
      { state: 'main_menu', page: 0, trailIds: null },
      { ttl: SELECTION_TTL },
    );
    return { message: MAIN_MENU };
  }

  /** Any other text. */
  async reply(phone: string, text: string): Promise<Reply> {
    const session = await this.sessions.get(phone);
    if (!session) return { message: EXPIRED };
    const input = text.trim().toUpperCase();
    const { state } = session.data;
    if (state === 'main_menu') return this.fromMenu(phone, input);
    if (input === '0') {
      await this.sessions.update(phone, { state: 'main_menu', page: 0, trailIds: null });
      return { message: MAIN_MENU };
    }
    const ids = session.data.trailIds ?? [];
    const pages = Math.max(1, Math.ceil(ids.length / PAGE_SIZE));
    if (input === 'N' || input === 'P') {
      const page = Math.min(pages - 1, Math.max(0, session.data.page + (input === 'N' ? 1 : -1)));
      await this.sessions.update(phone, { page });
      return { message: await this.renderPage(state, ids, page) };
    }
    const choice = Number(input);
    const index = session.data.page * PAGE_SIZE + choice - 1;
    if (!Number.isInteger(choice) || choice < 1 || choice > PAGE_SIZE || index >= ids.length) {
      await this.sessions.touch(phone);
      return {
        message: `Sorry, "${text.trim()}" is not on the list.\n${await this.renderPage(state, ids, session.data.page)}`,
      };
    }
    const trailId = ids[index] as number;
    await this.catalog.setActiveTrail(phone, trailId);
    await this.sessions.complete(phone);
    const [trail] = await this.catalog.describe([trailId]);
    return { message: `Active trail set to ${trail?.name ?? `#${trailId}`}.`, selectedTrailId: trailId };
  }

  /** Removes conversations idle for more than 30 minutes; run it from a timer or cron. */
  sweep(): Promise<number> {
    return this.sessions.sweep();
  }

  private async fromMenu(phone: string, input: string): Promise<Reply> {
    if (input !== '1' && input !== '2') {
      await this.sessions.touch(phone);
      return { message: MAIN_MENU };
    }
    const state: SelectionState = input === '1' ? 'my_trails' : 'library';
    const trails = state === 'my_trails' ? await this.catalog.myTrails(phone) : await this.catalog.library();
    const trailIds = trails.map((t) => t.id);
    await this.sessions.update(phone, { state, page: 0, trailIds });
    return { message: await this.renderPage(state, trailIds, 0) };
  }

  private async renderPage(state: SelectionState, ids: number[], page: number): Promise<string> {
    const title = state === 'my_trails' ? 'My Trails' : 'Library';
    if (ids.length === 0) return `${title}: no trails yet. Reply 0 for the menu.`;
    const pages = Math.ceil(ids.length / PAGE_SIZE);
    const shown = await this.catalog.describe(ids.slice(page * PAGE_SIZE, (page + 1) * PAGE_SIZE));
    const lines = shown.map((t, i) => `${i + 1}. ${t.name}`);
    const moves = [page + 1 < pages ? 'N next' : '', page > 0 ? 'P previous' : '', '0 menu'].filter(Boolean);
    return [`${title} (page ${page + 1}/${pages})`, ...lines, `Reply a number, ${moves.join(', ')}.`].join(
      '\n',
    );
  }
}

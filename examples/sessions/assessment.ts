/**
 * Field report 002's assessment sessions on a dbdoctor session store.
 *
 * A student starts an assessment and gets a session id (256 random bits, URL-safe). Each
 * answer records the page reached and earns XP; a student who comes back can resume at the
 * current page while the session is valid. "Start Fresh" abandons the old session and opens
 * a new one. A session left alone for 30 days (by last activity) is no longer valid. The
 * report's status column, last_activity column, 30-day check and validate/abandon endpoints
 * become the store's `status`, `lastActivity`, sliding TTL, `validate` and `abandon`.
 */
import type { InvalidReason, JsonValue, SessionStatus, SessionStore } from 'dbdoctor/sessions';

/** What the session holds (a type alias, so it is a JSON object type). */
export type AssessmentProgress = {
  studentId: string;
  /** The page to resume at. */
  currentPageId: number;
  /** Answers by page id (JSON object keys are strings). */
  answers: { [pageId: string]: JsonValue };
  totalXp: number;
};

/** The report's expiry: 30 days after the last activity. */
export const ASSESSMENT_TTL = '30d';
/** XP per answered question, as in the report. */
export const XP_PER_ANSWER = 10;

/** The report's `GET /session/{id}/validate` answer. */
export interface SessionCheck {
  valid: boolean;
  reason?: InvalidReason;
  session: { status: SessionStatus; currentPageId: number; lastActivity: number } | null;
  progress: { questionsAnswered: number; totalXp: number; percentage: number } | null;
}

/** The report's `POST /answers/submit` answer. */
export interface AnswerResult {
  xpGained: number;
  totalXp: number;
  nextPageId: number | null;
}

/** Raised when an action needs a valid session and the session is not one. */
export class SessionNotValid extends Error {
  constructor(
    readonly sessionId: string,
    readonly reason: InvalidReason,
  ) {
    super(`Assessment session ${sessionId} cannot be used: ${reason}.`);
  }
}

/** Assessment sessions for a questionnaire of `pageIds` (in order). */
export class AssessmentSessions {
  constructor(
    private readonly sessions: SessionStore<AssessmentProgress>,
    private readonly pageIds: readonly number[],
  ) {
    if (pageIds.length === 0) throw new Error('An assessment needs at least one page.');
  }

  /** Starts a session at the first page; returns its id. */
  async start(studentId: string): Promise<string> {
    const first = this.pageIds[0] as number;
    const s = await this.sessions.create(
      null,
      { studentId, currentPageId: first, answers: {}, totalXp: 0 },
      { ttl: ASSESSMENT_TTL },
    );
    return s.key;
  }

  /** `GET /session/{id}/validate`. */
  async validate(sessionId: string): Promise<SessionCheck> {
    const v = await this.sessions.validate(sessionId);
    const s = v.session;
    return {
      valid: v.valid,
      ...(v.valid ? {} : { reason: v.reason }),
      session: s
        ? { status: s.status, currentPageId: s.data.currentPageId, lastActivity: s.lastActivity }
        : null,
      progress: s ? this.progress(s.data) : null,
    };
  }

  /** Where to resume: the current page of a valid session. */
  async resume(sessionId: string): Promise<number> {
    const v = await this.sessions.validate(sessionId);
    if (!v.valid) throw new SessionNotValid(sessionId, v.reason);
    await this.sessions.touch(sessionId);
    return v.session.data.currentPageId;
  }

  /** `POST /answers/submit`: records the answer, moves to the next page, completes after the last. */
  async answer(sessionId: string, pageId: number, answer: JsonValue): Promise<AnswerResult> {
    const v = await this.sessions.validate(sessionId);
    if (!v.valid) throw new SessionNotValid(sessionId, v.reason);
    const data = v.session.data;
    const fresh = !(String(pageId) in data.answers);
    const totalXp = data.totalXp + (fresh ? XP_PER_ANSWER : 0);
    const at = this.pageIds.indexOf(pageId);
    const nextPageId = at >= 0 && at + 1 < this.pageIds.length ? (this.pageIds[at + 1] as number) : null;
    await this.sessions.update(sessionId, {
      answers: { ...data.answers, [pageId]: answer },
      totalXp,
      currentPageId: nextPageId ?? pageId,
    });
    if (nextPageId === null) await this.sessions.complete(sessionId);
    return { xpGained: fresh ? XP_PER_ANSWER : 0, totalXp, nextPageId };
  }

  /** "Start Fresh": abandons the session (kept, readable, for the report's analytics) and starts a new one. */
  async startFresh(sessionId: string): Promise<{ abandonedXp: number; newSessionId: string }> {
    const v = await this.sessions.validate(sessionId);
    if (!v.valid) throw new SessionNotValid(sessionId, v.reason);
    await this.sessions.abandon(sessionId);
    return { abandonedXp: v.session.data.totalXp, newSessionId: await this.start(v.session.data.studentId) };
  }

  private progress(data: AssessmentProgress): NonNullable<SessionCheck['progress']> {
    const questionsAnswered = Object.keys(data.answers).length;
    return {
      questionsAnswered,
      totalXp: data.totalXp,
      percentage: Math.round((100 * questionsAnswered) / this.pageIds.length),
    };
  }
}

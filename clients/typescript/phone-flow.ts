// The phone app's flow, written against the client generated from the API schema.
//
// Type-checked with `tsc --strict` in CI: when the schema changes in a way an app built
// on it would feel (a field renamed, made nullable, an error body changed), this stops
// compiling. Also runnable against a server:
//   node dist/phone-flow.js http://127.0.0.1:8000 ABCD-EFGH
import { randomUUID } from "node:crypto";

import createClient, { type Middleware } from "openapi-fetch";

import type { components, paths } from "./generated/schema.js";

type Schemas = components["schemas"];
type ApiError = Schemas["Error"];
type CheckIn = Schemas["CheckIn"];
type Entry = Schemas["Entry"];
type EntryRequest = Schemas["EntryRequest"];
type EntryResult = Schemas["EntryResult"];
type PushReminder = Schemas["PushReminderData"];
type PushAlertPage = Schemas["PushAlertPageData"];

export interface PhoneRun {
  patient: string;
  checkinTime: string;
  dueCheckins: number;
  entryId: number;
  retryGaveSameEntry: boolean;
  advice: string;
  alertSeverity: string;
  refusedFields: string[];
  deviceId: number;
  pushOpens: string;
  settingsCheckinTime: string;
  settingsQuietHours: string;
  batchStatuses: number[];
  batchRefusedFields: string[];
  correctionOf: number | null;
  correctedPainScore: number;
}

// A string body is not the API's: the web server's own page (a 414 for a URL too long).
type FailureBody = ApiError | string | undefined;

function describe(status: number, body: FailureBody): string {
  if (typeof body === "string") {
    return `${status}: the web server's page, not the API's error body`;
  }
  return `${status} ${body?.code ?? "?"}: ${body?.message ?? "no body"}`;
}

class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly body: FailureBody,
  ) {
    super(describe(status, body));
  }
}

function bearer(token: string): Middleware {
  return {
    onRequest({ request }) {
      request.headers.set("Authorization", `Bearer ${token}`);
      return request;
    },
  };
}

/** What a field error says to the patient, beside the field the app shows. */
export function fieldErrors(error: ApiError): string[] {
  return Object.entries(error.fields).map(([field, messages]) => `${field}: ${messages.join(" ")}`);
}

/** The screen a tapped push opens: the app's own for a reminder, else the deep link. */
export function openPush(data: PushReminder | PushAlertPage, now: Date): string {
  if (new Date(data.expires_at) < now) {
    return "none (expired)";
  }
  switch (data.kind) {
    case "checkin_reminder":
    case "checkin_rereminder":
      return `checkin/${data.checkin_id}`;
    case "alert_page":
      return data.url;
  }
}

/** Each offline entry's answer, as the app reads it: the status, or the fields at fault. */
function batchOutcome(results: EntryResult[]): { statuses: number[]; refused: string[] } {
  return {
    statuses: results.map((result) => result.status),
    refused: results.flatMap((result) => (result.error === null ? [] : fieldErrors(result.error))),
  };
}

function newEntry(checkin: CheckIn, painScore: number): EntryRequest {
  const now = new Date().toISOString();
  return {
    client_id: randomUUID(),
    procedure: checkin.procedure,
    checkin: checkin.id,
    recorded_at: now,
    sent_at: now,
    pain_score: painScore,
    numbness: "none",
    note: "",
  };
}

export async function playPhone(baseUrl: string, enrollmentCode: string): Promise<PhoneRun> {
  const anonymous = createClient<paths>({ baseUrl });
  const enrolled = await anonymous.POST("/api/v1/enroll/", {
    body: { code: enrollmentCode },
  });
  if (enrolled.error !== undefined) {
    throw new ApiFailure(enrolled.response.status, enrolled.error);
  }
  const { token, patient } = enrolled.data;

  const phone = createClient<paths>({ baseUrl });
  phone.use(bearer(token));

  const me = await phone.GET("/api/v1/me/");
  if (me.error !== undefined) {
    throw new ApiFailure(me.response.status, me.error);
  }

  const due = await phone.GET("/api/v1/me/checkins/", {
    params: { query: { status: "due" } },
  });
  if (due.error !== undefined) {
    throw new ApiFailure(due.response.status, due.error);
  }
  const checkin = due.data.results[0];
  if (checkin === undefined) {
    throw new Error("no check-in is due");
  }

  // The phone loses the first answer and sends the same entry again: same client_id.
  const body = newEntry(checkin, 2);
  const first = await phone.POST("/api/v1/me/entries/", { body });
  if (first.error !== undefined) {
    throw new ApiFailure(first.response.status, first.error);
  }
  const retry = await phone.POST("/api/v1/me/entries/", { body });
  if (retry.error !== undefined) {
    throw new ApiFailure(retry.response.status, retry.error);
  }
  const entry: Entry = first.data;

  // A wrong answer: the error body names the field.
  const wrong = await phone.POST("/api/v1/me/entries/", {
    body: { ...newEntry(checkin, 2), pain_score: 11 },
  });
  const refusedFields = typeof wrong.error === "object" ? fieldErrors(wrong.error) : [];

  const device = await phone.POST("/api/v1/me/devices/", {
    body: { platform: "fcm", token: `fcm-token-${patient.id}` },
  });
  if (device.error !== undefined) {
    throw new ApiFailure(device.response.status, device.error);
  }

  // Settings: the patient's own check-in time and quiet hours.
  const settings = await phone.PATCH("/api/v1/me/", {
    body: { checkin_time: "18:30", quiet_start: "22:00", quiet_end: "07:00" },
  });
  if (settings.error !== undefined) {
    throw new ApiFailure(settings.response.status, settings.error);
  }

  // Back online: two entries recorded offline, sent late in one batch with the first one
  // again (already stored: 200) and one wrong (400, its fields named), item by item.
  const offline = [newEntry(checkin, 3), newEntry(checkin, 4)].map(
    (item): EntryRequest => ({ ...item, checkin: null }),
  );
  const batch = await phone.POST("/api/v1/me/entries/batch/", {
    body: {
      entries: [...offline, body, { ...offline[0], client_id: randomUUID(), pain_score: 12 }],
      sent_at: new Date().toISOString(),
    },
  });
  if (batch.error !== undefined) {
    throw new ApiFailure(batch.response.status, batch.error);
  }
  const sync = batchOutcome(batch.data.results);

  // The patient tapped the wrong score: corrected within the window, with a new client_id
  // and only the answers (the block and the times are the first entry's).
  const correction = await phone.POST("/api/v1/me/entries/{id}/correct/", {
    params: { path: { id: String(entry.id) } },
    body: { client_id: randomUUID(), pain_score: 5, numbness: "none", note: "" },
  });
  if (correction.error !== undefined) {
    throw new ApiFailure(correction.response.status, correction.error);
  }

  const push: PushReminder = {
    kind: "checkin_reminder",
    checkin_id: String(checkin.id),
    url: `${baseUrl}/c/example`,
    collapse_id: `checkin-${checkin.id}-1-checkin_reminder`,
    expires_at: checkin.closes_at,
  };

  return {
    patient: me.data.display_name,
    checkinTime: me.data.checkin_time,
    dueCheckins: due.data.count,
    entryId: entry.id,
    retryGaveSameEntry: retry.response.status === 200 && retry.data.id === entry.id,
    advice: `${entry.advice.level}: ${entry.advice.message}`,
    // Null when the entry raised no alert: the type makes the app say so.
    alertSeverity: entry.alert?.severity ?? "none",
    refusedFields,
    deviceId: device.data.id,
    pushOpens: openPush(push, new Date()),
    settingsCheckinTime: settings.data.checkin_time,
    settingsQuietHours: `${settings.data.quiet_start ?? "-"}-${settings.data.quiet_end ?? "-"}`,
    batchStatuses: sync.statuses,
    batchRefusedFields: sync.refused,
    correctionOf: correction.data.corrects,
    correctedPainScore: correction.data.pain_score,
  };
}

const [baseUrl, code] = process.argv.slice(2);
if (baseUrl !== undefined && code !== undefined) {
  playPhone(baseUrl, code).then(
    (run) => console.log(JSON.stringify(run)),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}

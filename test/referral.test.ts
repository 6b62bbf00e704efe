/**
 * The referral exchange end to end, through the served schema (shield and field guards):
 * customs place an RFI with a question and a due date; the addressee (the filer) reads the
 * question and answers with text and document references; other parties can neither read
 * the question nor answer; customs read the answer and escalate to a screening, which the
 * addressee answers with a coded outcome; customs release and the parcel is cleared to load.
 */
import "reflect-metadata";
import { DEFAULT_RFI_QUESTION } from "../src/modules/workflow/workflow.referrals";
import { declarationInput, makeParty, startTestHub, type TestHub, type TestParty } from "./testkit/hub";

let t: TestHub;
let customs: TestParty;
let filer: TestParty;
let carrier: TestParty;
let stranger: TestParty;

const codeOf = (r: { errors?: readonly { extensions?: Record<string, unknown> }[] }) => r.errors?.map((e) => e.extensions?.code);

const PLACE = `mutation($id: ID!, $input: PlaceHoldInput!) { placeHold(declarationId: $id, input: $input) { id kind status } }`;
const ANSWER = `mutation($id: ID!, $input: AnswerReferralInput!) { answerReferral(holdId: $id, input: $input) { id referral { answerText answerDocuments screeningOutcome answeredAt } } }`;
const ESCALATE = `mutation($id: ID!, $input: EscalateHoldInput!) { escalateHold(holdId: $id, input: $input) { id kind status referral { addresseeId question } } }`;
const RELEASE = `mutation($id: ID!, $input: ReleaseHoldInput) { releaseHold(holdId: $id, input: $input) { id status outcome } }`;
const HOLDS = `query($id: ID!) { declaration(id: $id) { status holds { id kind status escalatedToId referral { addresseeId question dueAt answerText answerDocuments screeningOutcome } } } }`;

async function file(): Promise<string> {
  const { declaration } = await t.hub.services.declarations.filing.fileOne(
    filer.principal,
    declarationInput({ carrierId: carrier.id, destinationCountry: "DE" }) as never,
  );
  return declaration.id;
}

beforeAll(async () => {
  t = await startTestHub({ http: false });
  customs = await makeParty(t, "CUSTOMS", "DE", "Zoll DE");
  filer = await makeParty(t, "PLATFORM", "CN", "Filing platform");
  carrier = await makeParty(t, "CARRIER", "CN", "Carrier");
  stranger = await makeParty(t, "CARRIER", "CN", "Stranger");
}, 60_000);

afterAll(() => t?.stop());

describe("the referral exchange", () => {
  it("RFI: the addressee reads the question and answers; others cannot; customs escalate, the screening is answered with a code, customs release", async () => {
    const id = await file();
    const due = new Date(Date.now() + 86_400_000).toISOString();
    const placed = await t.exec(customs.principal, PLACE, {
      id,
      input: { kind: "RFI", reason: "undervaluation profile 7", question: "Please send the invoice and the payment proof.", dueAt: due },
    });
    expect(placed.errors).toBeUndefined();
    const holdId = placed.data!.placeHold.id;

    // the addressee reads the question and the due date (not customs' reason)
    const seen = await t.exec(filer.principal, HOLDS, { id });
    expect(seen.errors).toBeUndefined();
    expect(seen.data!.declaration.status).toBe("RFI");
    expect(seen.data!.declaration.holds[0].referral).toMatchObject({ addresseeId: filer.id, question: "Please send the invoice and the payment proof.", dueAt: new Date(due), answerText: null });
    const reason = await t.exec(filer.principal, `query($id: ID!) { declaration(id: $id) { holds { reason } } }`, { id });
    expect(reason.data!.declaration.holds[0].reason).toBeNull();
    expect(codeOf(reason)).toEqual(["FORBIDDEN"]);

    // the named carrier sees that there is a hold, not the question; it cannot answer
    const carrierView = await t.exec(carrier.principal, `query($id: ID!) { declaration(id: $id) { holds { kind referral { question } } } }`, { id });
    expect(carrierView.data!.declaration.holds[0]).toEqual({ kind: "RFI", referral: { question: null } });
    expect(codeOf(carrierView)).toEqual(["FORBIDDEN"]);
    const byCarrier = await t.exec(carrier.principal, ANSWER, { id: holdId, input: { text: "not mine to answer" } });
    expect(codeOf(byCarrier)).toEqual(["FORBIDDEN"]);
    // a party that cannot see the declaration does not learn the hold exists
    const byStranger = await t.exec(stranger.principal, ANSWER, { id: holdId, input: { text: "hello" } });
    expect(codeOf(byStranger)).toEqual(["NOT_FOUND"]);
    // customs do not answer their own question
    const byCustoms = await t.exec(customs.principal, ANSWER, { id: holdId, input: { text: "self" } });
    expect(codeOf(byCustoms)).toEqual(["FORBIDDEN"]);

    // an answer needs content; a screening outcome does not belong to an RFI
    const empty = await t.exec(filer.principal, ANSWER, { id: holdId, input: {} });
    expect(codeOf(empty)).toEqual(["BAD_USER_INPUT"]);
    expect(empty.errors![0].extensions!.problems).toEqual([expect.objectContaining({ path: "input.text" })]);
    const coded = await t.exec(filer.principal, ANSWER, { id: holdId, input: { text: "x", screeningOutcome: "NO_THREAT_FOUND" } });
    expect(coded.errors![0].extensions!.problems).toEqual([expect.objectContaining({ path: "input.screeningOutcome" })]);

    const answered = await t.exec(filer.principal, ANSWER, {
      id: holdId,
      input: { text: "Invoice attached; the price was a promotion.", documentReferences: ["INV-2026-0042", "PAYPAL-9F3K"] },
    });
    expect(answered.errors).toBeUndefined();
    expect(answered.data!.answerReferral.referral).toMatchObject({ answerText: "Invoice attached; the price was a promotion.", answerDocuments: ["INV-2026-0042", "PAYPAL-9F3K"] });
    const again = await t.exec(filer.principal, ANSWER, { id: holdId, input: { text: "second thoughts" } });
    expect(codeOf(again)).toEqual(["CONFLICT"]);

    // customs read the answer, kept with the hold, and escalate to a screening
    const customsView = await t.exec(customs.principal, HOLDS, { id });
    expect(customsView.data!.declaration.holds[0].referral.answerDocuments).toEqual(["INV-2026-0042", "PAYPAL-9F3K"]);
    const wrongWay = await t.exec(customs.principal, ESCALATE, { id: holdId, input: { kind: "INSPECTION", reason: "x" } });
    expect(codeOf(wrongWay)).toEqual(["BAD_USER_INPUT"]);
    const byFiler = await t.exec(filer.principal, ESCALATE, { id: holdId, input: { kind: "HIGH_RISK_SCREENING", reason: "x" } });
    expect(codeOf(byFiler)).toEqual(["FORBIDDEN"]);
    const escalated = await t.exec(customs.principal, ESCALATE, { id: holdId, input: { kind: "HIGH_RISK_SCREENING", reason: "invoice does not match the goods" } });
    expect(escalated.errors).toBeUndefined();
    expect(escalated.data!.escalateHold).toMatchObject({ kind: "HIGH_RISK_SCREENING", status: "OPEN", referral: { addresseeId: filer.id } });
    const screeningId = escalated.data!.escalateHold.id;
    const after = await t.exec(customs.principal, HOLDS, { id });
    expect(after.data!.declaration.status).toBe("SCREENING");
    expect(after.data!.declaration.holds.find((h: any) => h.id === holdId)).toMatchObject({ status: "RELEASED", escalatedToId: screeningId });

    // the screening is answered with its coded outcome
    const noCode = await t.exec(filer.principal, ANSWER, { id: screeningId, input: { text: "screened" } });
    expect(noCode.errors![0].extensions!.problems).toEqual([expect.objectContaining({ path: "input.screeningOutcome" })]);
    const screened = await t.exec(filer.principal, ANSWER, { id: screeningId, input: { screeningOutcome: "NO_THREAT_FOUND", documentReferences: ["XRAY-LEJ-2231"] } });
    expect(screened.data!.answerReferral.referral.screeningOutcome).toBe("NO_THREAT_FOUND");

    // customs release: the coded outcome is the screening's outcome; the parcel may be loaded
    const released = await t.exec(customs.principal, RELEASE, { id: screeningId, input: {} });
    expect(released.errors).toBeUndefined();
    expect(released.data!.releaseHold).toMatchObject({ status: "RELEASED", outcome: "SCREENED NO_THREAT_FOUND" });
    expect((await t.db.prisma.declaration.findUniqueOrThrow({ where: { id } })).status).toBe("CLEARED_TO_LOAD");

    // every step is in the write audit
    const ops = (await t.db.prisma.writeAuditEntry.findMany({ where: { declarationId: id }, orderBy: { at: "asc" } })).map((e) => e.operation);
    expect(ops).toEqual(expect.arrayContaining(["placeHold", "answerReferral", "escalateHold", "releaseHold"]));
  });

  it("a due date must be in the future", async () => {
    const id = await file();
    const r = await t.exec(customs.principal, PLACE, { id, input: { kind: "RFI", reason: "x", question: "q", dueAt: new Date(Date.now() - 1000).toISOString() } });
    expect(codeOf(r)).toEqual(["BAD_USER_INPUT"]);
    expect((r.errors![0].extensions!.problems as { path: string }[]).map((p) => p.path)).toEqual(["input.dueAt"]);
  });

  it("an RFI without a question asks the standard one; without a due date it is due in 48 hours", async () => {
    const id = await file();
    await t.exec(customs.principal, PLACE, { id, input: { kind: "RFI", reason: "x" } });
    const hold = await t.db.prisma.hold.findFirstOrThrow({ where: { declarationId: id } });
    expect(hold.question).toBe(DEFAULT_RFI_QUESTION);
    expect(Math.round((hold.dueAt!.getTime() - hold.placedAt.getTime()) / 3_600_000)).toBe(48);
  });

  it("a DO_NOT_LOAD takes no answer", async () => {
    const id = await file();
    const placed = await t.exec(customs.principal, PLACE, { id, input: { kind: "DO_NOT_LOAD", reason: "threat" } });
    const r = await t.exec(filer.principal, ANSWER, { id: placed.data!.placeHold.id, input: { text: "why?" } });
    expect(codeOf(r)).toEqual(["CONFLICT"]);
  });

  it("a released hold takes no answer", async () => {
    const id = await file();
    const placed = await t.exec(customs.principal, PLACE, { id, input: { kind: "RFI", reason: "x", question: "q" } });
    await t.exec(customs.principal, RELEASE, { id: placed.data!.placeHold.id, input: { outcome: "fine" } });
    const r = await t.exec(filer.principal, ANSWER, { id: placed.data!.placeHold.id, input: { text: "late" } });
    expect(codeOf(r)).toEqual(["CONFLICT"]);
  });
});

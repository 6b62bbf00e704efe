import { FieldResolver, Resolver, Root } from "type-graphql";
import { StatusEvent } from "../declarations/declarations.types";
import { EVENT_EFFECT, type StatusEventCode } from "./workflow.lifecycle";
import type { StatusEventRow } from "./workflow.repository";

/** StatusEvent.upuEventCode: the UPU EMSEVT code of the event, from the one mapping table (workflow.lifecycle.ts). */
@Resolver(() => StatusEvent)
export class StatusEventResolver {
  @FieldResolver(() => String, { nullable: true })
  upuEventCode(@Root() e: StatusEventRow): string | null {
    return EVENT_EFFECT[e.code as StatusEventCode]?.upu ?? null;
  }
}

import { ConnectionType } from "../common/pagination";
import { Lead } from "./lead.entity";

export const LeadConnection = ConnectionType("Lead", Lead);
export type LeadConnection = InstanceType<typeof LeadConnection>;

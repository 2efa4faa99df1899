import { ConnectionType } from "../common/pagination";
import { Followup } from "./followup.entity";

export const FollowupConnection = ConnectionType("Followup", Followup);
export type FollowupConnection = InstanceType<typeof FollowupConnection>;

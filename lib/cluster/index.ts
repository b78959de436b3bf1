export { channels, listen, notify, type Channel } from "./notify";
export { startNodeServices, type NodeServices, type NodeServicesOptions } from "./node";

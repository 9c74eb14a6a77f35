// The timeline view's library: vis-timeline (peer build) with vis-data's DataSet.
export { Timeline } from "vis-timeline/peer";
export { DataSet } from "vis-data/peer";

// The graph view's library: Cytoscape.js with the fCoSE force-directed layout registered.
import cytoscape from "cytoscape";
import fcose from "cytoscape-fcose";

cytoscape.use(fcose);
export default cytoscape;

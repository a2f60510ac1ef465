/** @odoo-module **/
/**
 * Steps shared by the OMS tours (run by the tests/test_tour_*.py of the addons).
 *
 * The tours never depend on translated labels: they use field names, button
 * names, menu xmlids and the data the Python test created, so that they run in
 * English and in zh_CN alike.
 */
import {rpcBus} from "@web/core/network/rpc";
import {stepUtils} from "@web_tour/tour_service/tour_utils";

// RPCs in flight, so that screenshots wait for the data they show
let pendingRpcs = 0;
rpcBus.addEventListener("RPC:REQUEST", () => pendingRpcs++);
rpcBus.addEventListener("RPC:RESPONSE", () => pendingRpcs--);

/** Resolve once no RPC has been in flight for three checks in a row. */
function rpcsIdle() {
  return new Promise((resolve) => {
    let quiet = 0;
    const check = () => {
      quiet = pendingRpcs > 0 ? 0 : quiet + 1;
      if (quiet >= 3) {
        requestAnimationFrame(() => resolve());
      } else {
        setTimeout(check, 100);
      }
    };
    check();
  });
}

/**
 * Open a menu of the navigation bar: the app, then (optionally) the section
 * dropdown, then the menu item, all by xmlid.
 */
export function openMenu(appXmlid, sectionXmlid, menuXmlid) {
  const steps = [...stepUtils.goToAppSteps(appXmlid, "open the app")];
  if (sectionXmlid) {
    steps.push({
      content: `open the ${sectionXmlid} menu`,
      trigger: `.o_menu_sections [data-menu-xmlid="${sectionXmlid}"]`,
      run: "click",
    });
  }
  if (menuXmlid) {
    steps.push({
      content: `open ${menuXmlid}`,
      trigger: `.dropdown-item[data-menu-xmlid="${menuXmlid}"]`,
      run: "click",
    });
  }
  return steps;
}

/**
 * Ask the Python test for a screenshot of the page as it is once ``trigger``
 * is shown, and wait for its answer (OmsTourCase of oms_core/tests/common.py answers at once
 * when no screenshot is wanted).
 */
export function omsScreenshot(name, trigger = "body") {
  return {
    content: `screenshot ${name}`,
    trigger,
    timeout: 30000,
    run: async () => {
      // the data shown is loaded and painted before the capture
      await rpcsIdle();
      console.log(`oms-screenshot:${name}`);
      await new Promise((resolve) => {
        const answered = () =>
          window.omsScreenshotTaken === name ? resolve() : setTimeout(answered, 50);
        answered();
      });
    },
  };
}

/** The statusbar of ``field`` shows ``value`` as the current stage. */
export function stageIs(field, value) {
  return {
    content: `${field} is ${value}`,
    trigger: `.o_field_widget[name=${field}] .o_arrow_button_current[data-value="${value}"]`,
  };
}

/**
 * The steps of an OMS tour, each allowed 30 s instead of 10 s to find its
 * trigger: the tours run on shared, loaded CI machines.
 */
export function omsSteps(steps) {
  return steps.map((step) => ({timeout: 30000, ...step}));
}

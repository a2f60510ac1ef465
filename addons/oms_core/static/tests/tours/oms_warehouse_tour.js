/** @odoo-module **/
/**
 * Warehouse: the deliveries come sorted by priority; the urgent one is shipped
 * with a tracking number. Data: oms_core/tests/test_tour_warehouse.py
 */
import {registry} from "@web/core/registry";
import {omsScreenshot, openMenu, stageIs, omsSteps} from "./oms_tour_utils";

const URGENT_CUSTOMER = "Li Na (VIP)";

registry.category("web_tour.tours").add("oms_warehouse_tour", {
  steps: () =>
    omsSteps([
      ...openMenu(
        "stock.menu_stock_root",
        "stock.menu_stock_warehouse_mgmt",
        "stock.out_picking"
      ),
      {
        content: "the urgent delivery comes first",
        trigger: `.o_list_view .o_data_row:first-child:contains(${URGENT_CUSTOMER})`,
      },
      {
        content: "and is starred",
        trigger: ".o_list_view .o_data_row:first-child .o_priority_star.fa-star",
      },
      omsScreenshot("warehouse-deliveries", ".o_list_view .o_data_row:first-child"),
      {
        content: "open it",
        trigger: ".o_list_view .o_data_row:first-child td[name=name]",
        run: "click",
      },
      {
        content: "shipping information",
        trigger: ".o_notebook a[name=extra]",
        run: "click",
      },
      {
        content: "tracking number",
        trigger: ".o_field_widget[name=carrier_tracking_ref] input",
        run: "edit SF1234567890",
      },
      {
        content: "validate",
        trigger: ".o_form_view button[name=button_validate]",
        run: "click",
      },
      stageIs("state", "done"),
      omsScreenshot(
        "warehouse-delivery-done",
        ".o_field_widget[name=carrier_tracking_ref]"
      ),
    ]),
});
